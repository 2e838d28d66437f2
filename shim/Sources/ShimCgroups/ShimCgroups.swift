// Replaced by the cgroup reader.
