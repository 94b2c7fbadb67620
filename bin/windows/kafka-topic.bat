@echo off
rem kafka-topic.bat: the spelling the quickstart guide uses in two places; it is kafka-topics.bat.
echo Note: kafka-topic.bat is kafka-topics.bat (plural); running kafka-topics.bat. 1>&2
"%~dp0samsa-run.bat" topics %*
