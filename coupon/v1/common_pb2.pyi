from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class CustomerRef(_message.Message):
    __slots__ = ("id", "mobile", "email", "external_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    MOBILE_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    id: int
    mobile: str
    email: str
    external_id: str
    def __init__(self, id: _Optional[int] = ..., mobile: _Optional[str] = ..., email: _Optional[str] = ..., external_id: _Optional[str] = ...) -> None: ...

class IssuanceMetadata(_message.Message):
    __slots__ = ("source_type", "source_id", "source_activity", "notes", "reason")
    SOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    source_type: str
    source_id: str
    source_activity: str
    notes: str
    reason: str
    def __init__(self, source_type: _Optional[str] = ..., source_id: _Optional[str] = ..., source_activity: _Optional[str] = ..., notes: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class IssueError(_message.Message):
    __slots__ = ("status", "code", "message", "series_id")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SERIES_ID_FIELD_NUMBER: _ClassVar[int]
    status: bool
    code: int
    message: str
    series_id: int
    def __init__(self, status: _Optional[bool] = ..., code: _Optional[int] = ..., message: _Optional[str] = ..., series_id: _Optional[int] = ...) -> None: ...

class IssueWarning(_message.Message):
    __slots__ = ("code", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...
