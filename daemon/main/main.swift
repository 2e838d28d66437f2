import CorralDaemon

await DaemonCommand.main()
