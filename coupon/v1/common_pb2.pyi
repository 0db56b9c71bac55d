from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class CustomerRef(_message.Message):
    __slots__ = ("id", "mobile", "email", "externalId")
    ID_FIELD_NUMBER: _ClassVar[int]
    MOBILE_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    EXTERNALID_FIELD_NUMBER: _ClassVar[int]
    id: int
    mobile: str
    email: str
    externalId: str
    def __init__(self, id: _Optional[int] = ..., mobile: _Optional[str] = ..., email: _Optional[str] = ..., externalId: _Optional[str] = ...) -> None: ...

class IssuanceMetadata(_message.Message):
    __slots__ = ("sourceType", "sourceId", "sourceActivity", "notes", "reason")
    SOURCETYPE_FIELD_NUMBER: _ClassVar[int]
    SOURCEID_FIELD_NUMBER: _ClassVar[int]
    SOURCEACTIVITY_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    sourceType: str
    sourceId: str
    sourceActivity: str
    notes: str
    reason: str
    def __init__(self, sourceType: _Optional[str] = ..., sourceId: _Optional[str] = ..., sourceActivity: _Optional[str] = ..., notes: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class IssueError(_message.Message):
    __slots__ = ("status", "code", "message", "seriesId")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SERIESID_FIELD_NUMBER: _ClassVar[int]
    status: bool
    code: int
    message: str
    seriesId: int
    def __init__(self, status: _Optional[bool] = ..., code: _Optional[int] = ..., message: _Optional[str] = ..., seriesId: _Optional[int] = ...) -> None: ...

class IssueWarning(_message.Message):
    __slots__ = ("code", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...
