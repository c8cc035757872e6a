"""Storage: SQLAlchemy models, Alembic migrations, engines and sessions."""
