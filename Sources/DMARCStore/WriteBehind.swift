internal import CShims

#if canImport(Glibc)
    import Glibc
#endif

/// Starts writing a large transaction's WAL to disk while the transaction is still being built.
///
/// With `synchronous=NORMAL` nothing is synced at commit; the checkpoint that follows a large
/// report first syncs the whole WAL (a few hundred MiB for a million records), and that wait came
/// after all the parsing. Asking the kernel to start writing every few MiB moves that disk work
/// into the time spent parsing, and the checkpoint's sync finds little left to do. It changes
/// nothing SQLite relies on: the pages are written anyway, only sooner.
///
/// The WAL is opened read-only and only for writeback; SQLite holds no POSIX locks on it (its WAL
/// locks are on the `-shm` file), so opening and closing another descriptor releases none.
final class WriteBehind {
    private let fd: Int32
    /// The WAL size at the last request.
    private(set) var startedAt: Int64 = 0
    /// How much the WAL grows between two requests.
    static let step: Int64 = 8 << 20

    /// Watches `path`; `nil` when it cannot be opened (no WAL yet, or not a regular file).
    init?(path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        self.fd = fd
    }

    deinit {
        close(fd)
    }

    /// Starts writeback of what the WAL gained since the last request, once that is a step's worth.
    /// Failures are ignored: the checkpoint syncs the file in any case.
    func nudge() {
        let size = Int64(lseek(fd, 0, SEEK_END))
        guard size - startedAt >= Self.step else { return }
        startedAt = size
        _ = cshim_start_writeback(fd)
    }
}
