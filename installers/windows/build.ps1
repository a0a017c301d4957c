<#
.SYNOPSIS
  Build, sign and check the clinic-app MSI on a Windows build machine.

.DESCRIPTION
  NOT RUN by this project's own CI, which runs on Linux: this script is for a Windows
  build machine or the Windows runner in .github/workflows/windows-installer.yml. On
  Linux the same WiX source is built with wixl and its tables are tested
  (tests/installers/test_msi.py); nothing here has been run by the project yet, so check
  the first build's output (and the self-test it runs) before relying on it.

  Steps:
    1. a fresh virtual environment with exactly the versions in requirements.lock (every
       file checked against its hash), the app itself, PyInstaller and cyclonedx-bom;
    2. the PyInstaller bundle, dist\clinic-app (clinic-app.exe for the window,
       clinic-app-cli.exe for commands), which must pass its own self-test, and its
       software bill of materials, dist\clinic-app-VERSION.cdx.json (CycloneDX);
    3. Authenticode signing of both executables (AppLocker publisher rules read it);
    4. the WiX 3 build: files.wxs generated from the bundle, then candle and light;
    5. signing of the MSI, a signature check, and the product and upgrade codes written
       beside the MSI for Intune or SCCM detection.

.PARAMETER Version
  Product version (three numbers, e.g. 0.1.0). Default: clinic_app.__version__.

.PARAMETER CertificatePath
  A .pfx code-signing certificate. Give its password with -CertificatePassword.

.PARAMETER CertificateThumbprint
  Instead of a .pfx: the SHA-1 thumbprint of a code-signing certificate in the
  certificate store (for example on a hardware token or in an HSM-backed store).

.PARAMETER TimestampUrl
  RFC 3161 timestamp server, so signatures outlive the certificate.

.PARAMETER Manufacturer
  The publisher shown in Apps and Features (for example the NHS trust).

.PARAMETER Unsigned
  Build without signing (for a test build only: AppLocker will not allow it).

.EXAMPLE
  .\installers\windows\build.ps1 -CertificatePath C:\keys\codesign.pfx -CertificatePassword $pw
#>
[CmdletBinding()]
param(
    [string] $Version = "",
    [string] $CertificatePath = "",
    [string] $CertificatePassword = "",
    [string] $CertificateThumbprint = "",
    [string] $TimestampUrl = "http://timestamp.digicert.com",
    [string] $Manufacturer = "clinic-app",
    [string] $Python = "py",
    [switch] $Unsigned
)

$ErrorActionPreference = "Stop"
Set-StrictMode -Version Latest
$Root = (Resolve-Path (Join-Path $PSScriptRoot "..\..")).Path
Set-Location $Root

function Invoke-Checked([string] $What, [scriptblock] $Command) {
    Write-Host "== $What"
    & $Command
    if ($LASTEXITCODE -ne 0) { throw "$What failed (exit code $LASTEXITCODE)" }
}

function Find-Tool([string] $Name, [string[]] $Candidates) {
    $found = Get-Command $Name -ErrorAction SilentlyContinue
    if ($found) { return $found.Source }
    foreach ($candidate in $Candidates) {
        $hits = @(Get-ChildItem -Path $candidate -ErrorAction SilentlyContinue | Sort-Object FullName -Descending)
        if ($hits.Count -gt 0) { return $hits[0].FullName }
    }
    throw "$Name was not found. Install it (see installers\README.md) or put it on PATH."
}

if (-not $Unsigned -and -not $CertificatePath -and -not $CertificateThumbprint) {
    throw "Give -CertificatePath (with -CertificatePassword) or -CertificateThumbprint, or -Unsigned for a test build."
}

# -- 1. build environment -----------------------------------------------------------------------
# Made afresh each time, so that it holds the lock and nothing else (build.py refuses to
# build from an environment that differs from requirements.lock).
$Venv = Join-Path $Root ".venv-build"
if (Test-Path $Venv) { Remove-Item -Recurse -Force $Venv }
# The launcher (py) is asked for 3.11; a python.exe given by path or name is used as it is.
$PythonArgs = @()
if ((Split-Path -Leaf $Python) -match '^py(\.exe)?$') { $PythonArgs = @("-3.11") }
Invoke-Checked "create the build environment" { & $Python @PythonArgs -m venv $Venv }
$VenvPython = Join-Path $Venv "Scripts\python.exe"
Invoke-Checked "update pip" { & $VenvPython -m pip install --quiet --upgrade pip }
Invoke-Checked "install the locked dependencies (hashes checked)" {
    & $VenvPython -m pip install --quiet --require-hashes -r requirements.lock
}
Invoke-Checked "install clinic-app" {
    & $VenvPython -m pip install --quiet --no-deps --no-build-isolation -e .
}
if (-not $Version) {
    $Version = (& $VenvPython -c "import clinic_app; print(clinic_app.__version__)").Trim()
}

# -- 2. the bundle (it runs its own self-test) and its bill of materials ----------------------
Invoke-Checked "PyInstaller bundle, its SBOM and its self-test" {
    & $VenvPython installers\build.py bundle
}
$Bundle = Join-Path $Root "dist\clinic-app"

# -- 3. sign the executables ------------------------------------------------------------------
$SignTool = $null
if (-not $Unsigned) {
    $SignTool = Find-Tool "signtool.exe" @(
        "${env:ProgramFiles(x86)}\Windows Kits\10\bin\*\x64\signtool.exe"
    )
}

function Invoke-Sign([string[]] $Files, [string] $Description) {
    if ($Unsigned) { Write-Host "== NOT signing $Description (-Unsigned)"; return }
    $arguments = @("sign", "/fd", "SHA256", "/td", "SHA256", "/tr", $TimestampUrl, "/d", $Description)
    if ($CertificateThumbprint) {
        $arguments += @("/sha1", $CertificateThumbprint)
    } else {
        $arguments += @("/f", $CertificatePath)
        if ($CertificatePassword) { $arguments += @("/p", $CertificatePassword) }
    }
    Invoke-Checked "sign $Description" { & $SignTool @arguments @Files }
    Invoke-Checked "verify the signature of $Description" { & $SignTool verify /pa /all @Files }
}

Invoke-Sign @((Join-Path $Bundle "clinic-app.exe"), (Join-Path $Bundle "clinic-app-cli.exe")) "clinic-app"

# -- 4. WiX 3: harvest, compile, link ----------------------------------------------------------
$Work = Join-Path $Root "build\installers\wix"
New-Item -ItemType Directory -Force -Path $Work | Out-Null
$Files = Join-Path $Work "files.wxs"
Invoke-Checked "list the bundle's files for WiX" {
    & $VenvPython installers\build.py wxs-files --bundle $Bundle --out $Files
}
$WixBin = @()
if ($env:WIX) { $WixBin += (Join-Path $env:WIX "bin\candle.exe") }
$WixBin += "${env:ProgramFiles(x86)}\WiX Toolset v3*\bin\candle.exe"
$Candle = Find-Tool "candle.exe" $WixBin
$Light = Join-Path (Split-Path $Candle) "light.exe"

$MsiVersion = (& $VenvPython -c "import sys; sys.path.insert(0, 'installers'); import build; print(build.msi_version('$Version'))").Trim()
Invoke-Checked "candle" {
    & $Candle -nologo -arch x64 `
        "-dVersion=$MsiVersion" "-dSourceDir=$Bundle" "-dManufacturer=$Manufacturer" `
        -out "$Work\" installers\windows\clinic-app.wxs $Files
}
$Msi = Join-Path $Root "dist\clinic-app-$Version.msi"
# ICE38, ICE43 and ICE57 assume a package is either per-user or per-machine. This one is
# both (ALLUSERS=2, MSIINSTALLPERUSER=1), so the shortcut's key path is an HKMU registry
# value, as Microsoft's single package authoring guidance describes; those three checks
# misread that and are skipped. Every other validation runs.
Invoke-Checked "light" {
    & $Light -nologo -spdb -sice:ICE38 -sice:ICE43 -sice:ICE57 `
        -out $Msi "$Work\clinic-app.wixobj" "$Work\files.wixobj"
}

# -- 5. sign the MSI, write its codes ---------------------------------------------------------
Invoke-Sign @($Msi) "clinic-app $Version installer"

$Installer = New-Object -ComObject WindowsInstaller.Installer
$Database = $Installer.GetType().InvokeMember("OpenDatabase", "InvokeMethod", $null, $Installer, @($Msi, 0))
function Get-MsiProperty([string] $Name) {
    $view = $Database.GetType().InvokeMember("OpenView", "InvokeMethod", $null, $Database,
        @("SELECT ``Value`` FROM ``Property`` WHERE ``Property`` = '$Name'"))
    $view.GetType().InvokeMember("Execute", "InvokeMethod", $null, $view, $null) | Out-Null
    $record = $view.GetType().InvokeMember("Fetch", "InvokeMethod", $null, $view, $null)
    $value = $record.GetType().InvokeMember("StringData", "GetProperty", $null, $record, 1)
    $view.GetType().InvokeMember("Close", "InvokeMethod", $null, $view, $null) | Out-Null
    return $value
}
$Codes = [ordered]@{
    File        = (Split-Path $Msi -Leaf)
    Version     = $Version
    ProductCode = Get-MsiProperty "ProductCode"
    UpgradeCode = Get-MsiProperty "UpgradeCode"
    SHA256      = (Get-FileHash $Msi -Algorithm SHA256).Hash
}
[System.Runtime.InteropServices.Marshal]::ReleaseComObject($Database) | Out-Null
$Codes | ConvertTo-Json | Set-Content -Encoding utf8 "$Msi.json"
Write-Host "== built $Msi"
$Codes | Format-List | Out-String | Write-Host
