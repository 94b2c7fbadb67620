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
rem Logger levels from a log4j properties file, as Kafka's script names it (KAFKA_LOG4J_OPTS).
if "%KAFKA_LOG4J_OPTS%"=="" if exist "%BASE_DIR%\config\log4j.properties" set "KAFKA_LOG4J_OPTS=-Dlog4j.configuration="file:%BASE_DIR%\config\log4j.properties""
rem V8 options of the broker (see src\broker\node-flags.ts); SAMSA_NODE_OPTS replaces them.
if not defined SAMSA_NODE_OPTS set "SAMSA_NODE_OPTS=--max-semi-space-size=4 --heap-growing-percent=200"
rem Node's compile cache for main.ts itself too (see kafka-server-start.sh: a TypeScript file that
rem misses the cache loads Node's type stripper, a few MB kept for the life of the process).
if not defined NODE_COMPILE_CACHE set "NODE_COMPILE_CACHE=%TEMP%\node-compile-cache"
"%NODE%" %SAMSA_NODE_OPTS% "%BASE_DIR%\src\broker\main.ts" %*
endlocal
