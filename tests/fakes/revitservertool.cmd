@echo off
rem Fake RevitServerTool for Windows: runs revitservertool.py beside this file with the
rem python on PATH. Set FAKE_REVIT_ROOT to the fake server root first (make_tool() does).
python "%~dp0revitservertool.py" %*
exit /b %ERRORLEVEL%
