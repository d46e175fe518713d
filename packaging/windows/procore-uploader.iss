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
;   %LOCALAPPDATA%\Programs\Procore Uploader. IT can install for all users with /ALLUSERS
;   (into Program Files).
; - Start Menu shortcut, optional desktop shortcut, and a "Send to > Procore Uploader" entry
;   (the files sent go to the open window, or open it). An all-users install gives every user
;   the Send to entry at their next sign-in (Active Setup), the installing user at once.
; - Upgrading over an older version replaces the program and keeps the journal of uploads,
;   settings and log: they live in %LOCALAPPDATA%\ProcoreUploader\procore-uploader, outside
;   the program folder, and the fixed AppId makes the new version replace the old one in place.
;   Files the older version had and this one does not are removed only after every new file is
;   in place, so a setup that stops half-way leaves a working program.
; - Uninstalling removes the program folder and the shortcuts, and leaves the user's data.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#define AppName "Procore Uploader"
#define AppExe "procore-uploader.exe"
#define AppGuid "6F1C2A57-3E0B-4D55-9B1F-52A7C1D0E8B4"
; The list of the build's files, written by the PyInstaller spec (see [Code]).
#define BundleList "bundle-files.txt"
#define Root "..\.."
#ifndef DistDir
  #define DistDir Root + "\build\dist\procore-uploader"
#endif

[Setup]
; Never change: it is how an upgrade finds the installed version.
AppId={{{#AppGuid}}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Procore Uploader
; {autopf}, written out: per user %LOCALAPPDATA%\Programs, for all users Program Files.
; (Wine has no per-user Program Files known folder, so {autopf} cannot be tested there.)
DefaultDirName={code:DefaultAppDir}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Per user, no administrator rights.
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

[Files]
Source: "{#DistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon
; Send to: Explorer starts the app with the selected files as arguments; a running window
; takes them over (single instance).
Name: "{usersendto}\{#AppName}"; Filename: "{app}\{#AppExe}"; IconFilename: "{app}\{#AppExe}"
; All users: Windows has no Send To folder common to all users. This copy is what Active Setup
; (below) puts in each user's own Send To folder when they next sign in.
Name: "{app}\sendto\{#AppName}"; Filename: "{app}\{#AppExe}"; IconFilename: "{app}\{#AppExe}"; Check: IsAdminInstallMode

[Registry]
; Active Setup runs StubPath once for every user who signs in after an install or upgrade.
Root: HKLM; Subkey: "Software\Microsoft\Active Setup\Installed Components\{{{#AppGuid}}"; ValueType: string; ValueName: ""; ValueData: "{#AppName} Send To entry"; Flags: uninsdeletekey; Check: IsAdminInstallMode
Root: HKLM; Subkey: "Software\Microsoft\Active Setup\Installed Components\{{{#AppGuid}}"; ValueType: string; ValueName: "Version"; ValueData: "{code:ActiveSetupVersion}"; Check: IsAdminInstallMode
Root: HKLM; Subkey: "Software\Microsoft\Active Setup\Installed Components\{{{#AppGuid}}"; ValueType: string; ValueName: "StubPath"; ValueData: "cmd.exe /q /c copy /y ""{app}\sendto\{#AppName}.lnk"" ""%APPDATA%\Microsoft\Windows\SendTo\{#AppName}.lnk"""; Check: IsAdminInstallMode

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only the program folder (anything the program left in it); the journal, settings and log
; in %LOCALAPPDATA%\ProcoreUploader stay, as the person's data.
Type: filesandordirs; Name: "{app}"

[Code]
function DefaultAppDir(Param: String): String;
begin
  if IsAdminInstallMode then
    Result := ExpandConstant('{commonpf}\{#AppName}')
  else
    Result := ExpandConstant('{localappdata}\Programs\{#AppName}');
end;

{ Active Setup wants up to four numbers separated by commas: 0.1.0 -> 0,1,0. }
function ActiveSetupVersion(Param: String): String;
var
  I: Integer;
begin
  Result := '';
  for I := 1 to Length('{#AppVersion}') do
    if Pos(Copy('{#AppVersion}', I, 1), '0123456789') > 0 then
      Result := Result + Copy('{#AppVersion}', I, 1)
    else if (Copy('{#AppVersion}', I, 1) = '.') and (Length(Result) > 0) then
      Result := Result + ','
    else
      Break;
end;

{ Deletes the files under Dir (Rel is its path below the program folder) that Keep does not
  list, and the folders left empty. }
procedure RemoveStale(const Dir, Rel: String; Keep: TStringList);
var
  Found: TFindRec;
begin
  if FindFirst(Dir + '\*', Found) then
  try
    repeat
      if (Found.Name <> '.') and (Found.Name <> '..') then
      begin
        if (Found.Attributes and FILE_ATTRIBUTE_DIRECTORY) <> 0 then
        begin
          RemoveStale(Dir + '\' + Found.Name, Rel + Found.Name + '\', Keep);
          RemoveDir(Dir + '\' + Found.Name);
        end
        else if Keep.IndexOf(Lowercase(Rel + Found.Name)) < 0 then
        begin
          Log('Removing a file this version does not have: ' + Rel + Found.Name);
          DeleteFile(Dir + '\' + Found.Name);
        end;
      end;
    until not FindNext(Found);
  finally
    FindClose(Found);
  end;
end;

{ After every new file is in place (an upgrade that stops half-way deletes nothing), files an
  older version had and this one does not (renamed libraries, dropped plugins) are removed from
  _internal. The program's own files only: user data is not in the program folder. }
procedure CurStepChanged(CurStep: TSetupStep);
var
  Lines: TArrayOfString;
  Keep: TStringList;
  I: Integer;
begin
  if CurStep <> ssPostInstall then
    Exit;
  if not LoadStringsFromFile(ExpandConstant('{app}\_internal\{#BundleList}'), Lines) then
  begin
    Log('No {#BundleList}: old files are left in place');
    Exit;
  end;
  Keep := TStringList.Create;
  try
    Keep.Sorted := True;
    Keep.Add(Lowercase('{#BundleList}'));
    for I := 0 to GetArrayLength(Lines) - 1 do
      Keep.Add(Lowercase(Lines[I]));
    RemoveStale(ExpandConstant('{app}\_internal'), '', Keep);
  finally
    Keep.Free;
  end;
end;
