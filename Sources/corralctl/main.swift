import CorralCtl

await CorralCtlCommand.runFromCommandLine()
