"""The Windows Installer package: built here with wixl (msitools) and read back with msiinfo.

The MSI is built from the real WiX source (installers/windows/clinic-app.wxs) over a small
stand-in for the Windows bundle (clinic-app.exe, clinic-app-cli.exe and a few files under
_internal/), since a real Windows bundle can only be built on Windows. What is checked is
the package's own tables: how it installs, its shortcut and its upgrade code.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

UPGRADE_CODE = "{943679D0-FFEE-44E0-A4D4-DD3D92E23487}"
MSI_TOOLS = ("wixl", "msiinfo", "msibuild")


def stand_in_bundle(folder: Path) -> Path:
    """A folder shaped like the Windows bundle (the file contents do not matter here)."""
    files = {
        "clinic-app.exe": "stand-in for the windowed executable",
        "clinic-app-cli.exe": "stand-in for the console executable",
        "_internal/python311.dll": "stand-in",
        "_internal/PySide6/plugins/platforms/qwindows.dll": "stand-in",
        "_internal/clinic_app/resources/schemas/client-record.schema.json": "{}",
        "_internal/clinic_app/storage/schema/versions/0001_initial_schema.py": "# stand-in",
    }
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def table(msi: Path, name: str) -> list[dict[str, str]]:
    """The rows of one table, from ``msiinfo export`` (tab-separated, three header lines)."""
    text = subprocess.run(
        ["msiinfo", "export", str(msi), name], capture_output=True, text=True, check=True
    ).stdout
    lines = text.splitlines()
    columns = lines[0].split("\t")
    return [dict(zip(columns, line.split("\t"), strict=False)) for line in lines[3:] if line]


def properties(msi: Path) -> dict[str, str]:
    return {row["Property"]: row["Value"] for row in table(msi, "Property")}


@pytest.fixture(scope="module")
def msis(build: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    missing = [tool for tool in MSI_TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"needs msitools ({', '.join(missing)}): apt-get install wixl msitools")
    work = tmp_path_factory.mktemp("msi")
    source = stand_in_bundle(work / "clinic-app")
    return {
        version: build.build_msi(version, source, work / version) for version in ("0.1.0", "0.2.0")
    }


def test_installs_per_user_without_admin_rights_by_default(msis: dict[str, Path]) -> None:
    props = properties(msis["0.1.0"])
    assert props["ALLUSERS"] == "2"
    assert props["MSIINSTALLPERUSER"] == "1"
    assert props["ProductName"] == "clinic-app"
    assert props["ProductVersion"] == "0.1.0"
    summary = subprocess.run(
        ["msiinfo", "suminfo", str(msis["0.1.0"])], capture_output=True, text=True, check=True
    ).stdout
    # Word count 10 = compressed (2) + no elevation needed (8): no UAC prompt per user.
    assert "Source: 10 " in summary
    assert "Template: x64;" in summary
    # Files go to ProgramFiles64Folder\clinic-app, which Windows redirects to
    # %LOCALAPPDATA%\Programs\clinic-app for a per-user install.
    directories = {row["Directory"]: row for row in table(msis["0.1.0"], "Directory")}
    assert directories["INSTALLDIR"]["Directory_Parent"] == "ProgramFiles64Folder"
    assert directories["INSTALLDIR"]["DefaultDir"] == "clinic-app"


def test_start_menu_shortcut(msis: dict[str, Path]) -> None:
    shortcuts = table(msis["0.1.0"], "Shortcut")
    assert len(shortcuts) == 1
    shortcut = shortcuts[0]
    assert shortcut["Directory_"] == "ProgramMenuFolder"
    assert shortcut["Name"] == "clinic-app"
    assert shortcut["Target"] == "[INSTALLDIR]clinic-app.exe"
    assert shortcut["WkDir"] == "INSTALLDIR"
    # Its component's key path: HKMU (-1), i.e. HKCU per user and HKLM per machine.
    registry = {row["Component_"]: row for row in table(msis["0.1.0"], "Registry")}
    assert registry[shortcut["Component_"]]["Root"] == "-1"


def test_upgrade_code_is_fixed_and_product_code_changes(msis: dict[str, Path]) -> None:
    old, new = properties(msis["0.1.0"]), properties(msis["0.2.0"])
    assert old["UpgradeCode"] == new["UpgradeCode"] == UPGRADE_CODE
    assert old["ProductCode"] != new["ProductCode"]
    assert new["ProductVersion"] == "0.2.0"
    # MajorUpgrade: older versions are found and removed, newer ones block a downgrade.
    rows = table(msis["0.2.0"], "Upgrade")
    assert {row["UpgradeCode"] for row in rows} == {UPGRADE_CODE}
    removes = [row for row in rows if row["ActionProperty"] == "WIX_UPGRADE_DETECTED"]
    assert len(removes) == 1
    assert removes[0]["VersionMax"] == "0.2.0"
    assert removes[0]["VersionMin"] == ""
    assert [r["ActionProperty"] for r in rows if r["VersionMin"] == "0.2.0"] == [
        "WIX_DOWNGRADE_DETECTED"
    ]
    conditions = {row["Condition"] for row in table(msis["0.2.0"], "LaunchCondition")}
    assert "NOT WIX_DOWNGRADE_DETECTED" in conditions
    sequence = {row["Action"] for row in table(msis["0.2.0"], "InstallExecuteSequence")}
    assert {"FindRelatedProducts", "RemoveExistingProducts"} <= sequence


def test_components_are_stable_across_builds(msis: dict[str, Path]) -> None:
    # The same file keeps the same component (id and GUID) in every version, as the
    # component rules require for upgrades.
    def components(msi: Path) -> dict[str, str]:
        return {row["Component"]: row["ComponentId"] for row in table(msi, "Component")}

    assert components(msis["0.1.0"]) == components(msis["0.2.0"])
    files = {row["FileName"] for row in table(msis["0.1.0"], "File")}
    assert {"clinic-app.exe", "clinic-app-cli.exe", "qwindows.dll"} <= files


def test_the_package_touches_only_its_own_folder_and_shortcut(msis: dict[str, Path]) -> None:
    # Uninstalling never removes the user's database, keys or backups: the package names
    # no folder in the user's profile, removes no files and runs no custom actions.
    names = {row["Directory"] for row in table(msis["0.1.0"], "Directory")}
    for profile in ("LocalAppDataFolder", "AppDataFolder", "PersonalFolder", "CommonAppDataFolder"):
        assert profile not in names
    assert table(msis["0.1.0"], "RemoveFile") == []
    assert table(msis["0.1.0"], "CustomAction") == []
    keys = {row["Key"] for row in table(msis["0.1.0"], "Registry")}
    assert keys == {r"Software\clinic-app\Installer"}


def test_wix_fragment_lists_every_file_once_with_stable_ids(
    build: ModuleType, tmp_path: Path
) -> None:
    source = stand_in_bundle(tmp_path / "clinic-app")
    first = build.wxs_files(source)
    assert first == build.wxs_files(source)
    assert first.count("<File ") == 6
    assert first.count('<ComponentRef Id="c') == 6
    assert 'Name="_internal"' in first
    assert 'Source="$(var.SourceDir)/_internal/python311.dll"' in first


def test_msi_versions(build: ModuleType) -> None:
    assert build.msi_version("0.1.0") == "0.1.0"
    assert build.msi_version("1.2") == "1.2.0"
    assert build.msi_version("2.0.3.post1") == "2.0.3"
    with pytest.raises(SystemExit):
        build.msi_version("300.0.0")  # a major version above 255 is not allowed
