import CorralDaemon

await DaemonCommand.runFromCommandLine()
