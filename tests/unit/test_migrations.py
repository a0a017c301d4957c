"""Schema upgrades run on open, only after an automatic, verified backup."""

from __future__ import annotations

from alembic import command

from clinic_app.storage import engine, migrations


def _downgrade_to_base(database: engine.Database) -> None:
    config = migrations._config()
    with database.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")


def test_opening_an_older_database_backs_it_up_then_upgrades(tmp_path, db_key):
    path = tmp_path / "clinic.db"
    database = engine.create_database(path, db_key)
    _downgrade_to_base(database)
    database.close()

    backups = tmp_path / "backups"
    reopened = engine.open_database(path, db_key, backup_dir=backups)
    try:
        with reopened.engine.connect() as conn:
            assert migrations.current_revision(conn) == migrations.head_revision()
    finally:
        reopened.close()
    [backup] = list(backups.glob("pre-upgrade-*.db"))
    engine.verify_file(backup, db_key)  # the backup opens with the same key and is whole


def test_an_up_to_date_database_is_opened_without_a_backup(tmp_path, db_key):
    path = tmp_path / "clinic.db"
    engine.create_database(path, db_key).close()
    engine.open_database(path, db_key, backup_dir=tmp_path / "backups").close()
    assert not (tmp_path / "backups").exists()


def test_every_migration_downgrades_and_upgrades_cleanly(tmp_path, db_key):
    database = engine.create_database(tmp_path / "clinic.db", db_key)
    try:
        _downgrade_to_base(database)
        migrations.upgrade(database.engine)
        with database.engine.connect() as conn:
            triggers = conn.exec_driver_sql(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
            ).scalar()
        assert triggers == 40  # 36 to revision 0005, then 4 in 0007
    finally:
        database.close()


def test_the_recorded_head_is_the_scripts_head():
    # Opening a database compares with HEAD_REVISION instead of loading Alembic; a new
    # migration must move it.
    assert migrations.head_revision() == migrations.scripts_head()
