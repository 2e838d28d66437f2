import Foundation

/// Progress goes to stderr, so `--output json` leaves stdout to the report alone.
public enum BenchProgress {
    public static func say(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
