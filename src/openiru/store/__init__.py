"""Storage: SQLAlchemy Core schema, engine set-up, Alembic migrations and repositories."""
