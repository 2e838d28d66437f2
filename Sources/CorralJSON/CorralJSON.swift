// Replaced by the JSON value type.
