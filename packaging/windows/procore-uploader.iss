; Inno Setup 6 script: the Windows installer for Procore Uploader.
;
; Build the app first (from the repository root, with the project installed):
;   python -m PyInstaller --noconfirm --distpath build\dist --workpath build\work packaging\procore-uploader.spec
; then:
;   iscc /DAppVersion=0.1.0 packaging\windows\procore-uploader.iss
; The installer lands in build\installer. On Debian, packaging/windows/build-under-wine.sh does
; both under Wine; .github/workflows/installers.yml builds it on a Windows runner.
;
; - Installs for the current user only (no administrator rights): into
;   %LOCALAPPDATA%\Programs\Procore Uploader.
; - Start Menu shortcut, optional desktop shortcut, and a "Send to > Procore Uploader" entry
;   (the files sent go to the open window, or open it).
; - Upgrading over an older version replaces the program and keeps the journal of uploads,
;   settings and log: they live in %LOCALAPPDATA%\ProcoreUploader\procore-uploader, outside
;   the program folder, and the fixed AppId makes the new version replace the old one in place.
; - Uninstalling removes the program folder and the shortcuts, and leaves the user's data.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#define AppName "Procore Uploader"
#define AppExe "procore-uploader.exe"
#define Root "..\.."
#ifndef DistDir
  #define DistDir Root + "\build\dist\procore-uploader"
#endif

[Setup]
; Never change: it is how an upgrade finds the installed version.
AppId={{6F1C2A57-3E0B-4D55-9B1F-52A7C1D0E8B4}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Procore Uploader
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Per user, no administrator rights: {autopf} is then %LOCALAPPDATA%\Programs.
PrivilegesRequired=lowest
; IT can still install for all users with /ALLUSERS; staff are never asked.
PrivilegesRequiredOverridesAllowed=commandline
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; An upgrade closes a running copy first (uploads pause and continue when it starts again).
CloseApplications=yes
RestartApplications=no
UsePreviousAppDir=yes
UsePreviousTasks=yes
SetupIconFile={#Root}\resources\procore-uploader.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
OutputDir={#Root}\build\installer
OutputBaseFilename=ProcoreUploader-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
LicenseFile={#Root}\packaging\windows\licences.txt
VersionInfoVersion={#AppVersion}

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; An upgrade starts from a clean program folder, so files an older version had and this one
; does not (renamed libraries, dropped plugins) do not linger. User data is not in here.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#DistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon
; Send to: Explorer starts the app with the selected files as arguments; a running window
; takes them over (single instance).
Name: "{usersendto}\{#AppName}"; Filename: "{app}\{#AppExe}"; IconFilename: "{app}\{#AppExe}"

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only the program folder (anything the program left in it); the journal, settings and log
; in %LOCALAPPDATA%\ProcoreUploader stay, as the person's data.
Type: filesandordirs; Name: "{app}"
