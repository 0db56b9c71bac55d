"""The outside world behind the service layer's ports: the SQLAlchemy store (engines, tables,
repositories, batch stores, the unit of work, migrations) and the bearer-token verifier."""
