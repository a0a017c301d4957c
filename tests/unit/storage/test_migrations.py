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
        # 36 to 0005, 4 in 0007, 2 in 0008, 3 in 0009 (0011 remakes one), 3 in 0012
        assert triggers == 48
    finally:
        database.close()


def test_the_recorded_head_is_the_scripts_head():
    # Opening a database compares with HEAD_REVISION instead of loading Alembic; a new
    # migration must move it.
    assert migrations.head_revision() == migrations.scripts_head()


def test_references_differing_only_in_case_stop_the_upgrade_plainly(tmp_path, db_key):
    """Such a pair cannot take the new unique index: the upgrade says which, changes nothing."""
    from datetime import date

    import pytest

    from clinic_app.errors import StorageError

    path = tmp_path / "clinic.db"
    database = engine.create_database(path, db_key)
    config = migrations._config()
    with database.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0005")
    with database.engine.begin() as conn:
        for ref in ("MASIP-0001", "masip-0001"):
            conn.exec_driver_sql(
                "INSERT INTO client (local_ref, given_name, family_name, date_of_birth, site, "
                "referral_date, status, consent_to_share, is_demo, created_at, version, "
                "police_ref, address, referral_source, sharing_notes) VALUES "
                "(?, 'A', 'B', ?, 'North', ?, 'referred', 'not_asked', 0, ?, 1, '', '', '', '')",
                (ref, date(1980, 1, 1), date(2026, 1, 1), "2026-01-01 00:00:00"),
            )
    database.close()
    with pytest.raises(StorageError) as refused:
        engine.open_database(path, db_key, backup_dir=tmp_path / "backups")
    message = str(refused.value)
    assert "'MASIP-0001' and 'masip-0001'" in message and "Nothing has been changed" in message
    reopened = engine.open_database(path, db_key, migrate=False)
    try:
        with reopened.engine.connect() as conn:
            assert migrations.current_revision(conn) == "0005"
    finally:
        reopened.close()
