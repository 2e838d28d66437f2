// Replaced by the CRI log writer.
