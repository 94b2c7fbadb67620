@echo off
rem Starts a Samsa broker: kafka-server-start.bat server.properties [--override property=value]*
setlocal
if "%~1"=="" (
  echo USAGE: %~nx0 server.properties [--override property=value]*
  exit /b 1
)
set "BASE_DIR=%~dp0..\.."
set "NODE=%BASE_DIR%\node_modules\node\bin\node.exe"
if not exist "%NODE%" set "NODE=node"
"%NODE%" "%BASE_DIR%\src\broker\main.ts" %*
endlocal
