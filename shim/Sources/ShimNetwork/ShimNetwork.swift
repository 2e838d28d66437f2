// Replaced by the CNI client.
