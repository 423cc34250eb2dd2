internal import CShims

#if canImport(Glibc)
    import Glibc
#endif

/// Starts writing a large transaction's WAL to disk while the transaction is still being built.
///
/// With `synchronous=NORMAL` nothing is synced at commit; the checkpoint that follows a large
/// report first syncs the whole WAL (a few hundred MiB for a million records), and that wait came
/// after all the parsing. Asking the kernel every few MiB to start writing what is dirty moves
/// that disk work into the time spent parsing, and the checkpoint's sync finds little left to do.
/// It changes nothing SQLite relies on: the pages are written anyway, only sooner.
///
/// The WAL is opened read-only, only for writeback. SQLite's locks are on the database file and
/// the `-shm` file, never on the WAL, so closing this descriptor releases none of them (POSIX
/// locks belong to the process and file, whichever descriptor closes); a name that is not a
/// regular file (a link, a FIFO) is not used at all.
final class WriteBehind {
    private let fd: Int32
    /// Batches written since the last request.
    private(set) var batches = 0
    /// Batches between two requests: a batch of records or of rollup rows is 0.5 to 1 MiB of WAL.
    static let every = 12

    /// Watches the WAL named `path`; `nil` when it cannot be opened or is not a regular file.
    init?(path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            return nil
        }
        self.fd = fd
    }

    deinit {
        close(fd)
    }

    /// Counts a batch written; every `every` batches, asks the kernel to start writing the WAL's
    /// dirty pages (wherever they are: after a checkpoint SQLite writes from the start of the file
    /// again). Failures are ignored: the checkpoint syncs the file in any case.
    func batchWritten() {
        batches += 1
        guard batches >= Self.every else { return }
        batches = 0
        _ = cshim_start_writeback(fd)
    }

    /// Asks the kernel to start writing the WAL's dirty pages now.
    func flush() {
        batches = 0
        _ = cshim_start_writeback(fd)
    }
}
