@echo off
rem Runs one of Samsa's tools: samsa-run.bat <tool> [options]. The Kafka-named scripts beside this
rem one call it (as Kafka's call kafka-run-class.bat). It uses the project's pinned Node when present,
rem else node on PATH.
setlocal
set "BASE_DIR=%~dp0..\.."
set "NODE=%BASE_DIR%\node_modules\node\bin\node.exe"
if not exist "%NODE%" set "NODE=node"
"%NODE%" "%BASE_DIR%\bin\samsa.js" %*
endlocal & exit /b %ERRORLEVEL%
