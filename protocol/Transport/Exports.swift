@_exported import TTRPCWire
