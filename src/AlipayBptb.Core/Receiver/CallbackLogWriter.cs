using System;
using System.IO;
using System.Runtime.InteropServices;

namespace AlipayBptb.Core.Receiver;

/// <summary>
/// Appends records to the receiver's log so that a record answered <c>success</c> is whole, on disk, in the
/// file at the log's path, whatever happens around it:
/// <list type="bullet">
/// <item>true appends (O_APPEND, one write call per record): the kernel puts each record at the end of the
/// file as it is at that moment, so nothing another writer appended is overwritten, and a copy-and-truncate
/// rotation leaves no hole of NUL bytes before the record;</item>
/// <item>the file is opened at its path for each record, and after the record is on disk the path must still
/// name that file and the file still hold the record; if it was renamed, removed or truncated meanwhile, the
/// record is written again (a few times at most), so a rotation never takes an answered record away;</item>
/// <item>a write that fails (a full disk) is cut back off the file, so no partial record stays to merge with
/// the next one; and a file that ends without a newline (someone else's partial write) gets one first;</item>
/// <item>one receiver per log: a second one is refused, also when it names the log through a symbolic link
/// (the lock is keyed on the resolved path) or, on Linux, through a hard link (the file itself is locked).</item>
/// </list>
/// Callbacks are a few per batch, so opening the file per record costs nothing that matters.
/// </summary>
internal sealed class CallbackLogWriter : IDisposable
{
    // Each try writes the record once; a rotation that races every one of them is answered with an error.
    private const int MaxTries = 3;

    private readonly FileStream _lock;
    private readonly object _gate = new();
    private bool _disposed;
#if NET
    // Linux: an open file description holding an OFD lock on the log file itself, and that file's identity.
    private int _heldFd = -1;
    private FileId _heldId;
#endif

    private CallbackLogWriter(string path, FileStream lockFile)
    {
        Path = path;
        _lock = lockFile;
    }

    public string Path { get; }

    /// <summary>Test knob: writes fail after this many more bytes (as on a full disk); negative for never.</summary>
    public long FailAfter { get; set; } = -1;

    /// <summary>Test knob: runs after the record's file is opened, before the record is written.</summary>
    internal Action? BeforeWrite { get; set; }

    /// <summary>Test knob: runs after the record is on disk, before the writer checks it is still at the path.</summary>
    internal Action? AfterWrite { get; set; }

    /// <summary>
    /// Takes the log's lock (<c>path.lock</c> beside the file the path resolves to; on Linux also a lock on the
    /// file itself); refused when another receiver holds either.
    /// </summary>
    public static CallbackLogWriter Open(string path)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        // Fail at start, not at the first callback, when the log cannot be written at all; and the file must
        // exist for its real path (symbolic links resolved) to be known.
        CreateIfMissing(path);
        string realPath = RealPath(path);
        string lockPath = realPath + ".lock";
        FileStream lockFile;
        try
        {
            // FileShare.None is an exclusive lock (flock on Unix) that dies with the process: a receiver that
            // was killed leaves a file, never a held lock.
            lockFile = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        }
        catch (IOException ex)
        {
            throw InUse(path, lockPath, ex);
        }
        var writer = new CallbackLogWriter(path, lockFile);
#if NET
        try
        {
            writer.LockLogFile(lockPath);
        }
        catch
        {
            writer.Dispose();
            throw;
        }
#endif
        return writer;
    }

    private static LogInUseException InUse(string path, string lockPath, Exception inner) =>
        new($"The log '{path}' is being written by another receiver (it holds '{lockPath}', or the log file itself through another name: a link): run one receiver per log, or give this one another -LogPath.", inner);

    /// <summary>Appends one record and flushes it to disk; false (and nothing of it left in the file) when it cannot.</summary>
    public bool TryAppend(byte[] record)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return false;
            }
#if NET
            if (UnixLog.IsSupported)
            {
                return TryAppendUnix(record);
            }
#endif
            return TryAppendStream(record);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _lock.Dispose();
#if NET
            if (_heldFd >= 0)
            {
                _ = UnixLog.close(_heldFd);
                _heldFd = -1;
            }
#endif
        }
    }

    private static void CreateIfMissing(string path)
    {
        using (new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None))
        {
        }
    }

    // The path with every symbolic link resolved (the file's and its folders'), so that two names of one log
    // take one lock.
    private static string RealPath(string path)
    {
#if NET
        if (UnixLog.IsSupported)
        {
            IntPtr resolved = UnixLog.realpath(path, IntPtr.Zero);
            if (resolved != IntPtr.Zero)
            {
                try
                {
                    return Marshal.PtrToStringUTF8(resolved) ?? path;
                }
                finally
                {
                    UnixLog.free(resolved);
                }
            }
            return path;
        }
        FileSystemInfo? target = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true);
        return target != null ? System.IO.Path.GetFullPath(target.FullName) : path;
#else
        return path;
#endif
    }

#if NET
    // Linux: an OFD lock (tied to this open file description, not to the process, so that closing the
    // per-record descriptors keeps it) on one byte far past any data, so it is in nobody's way; a second
    // receiver that reaches the same file through a hard link is refused by it.
    private void LockLogFile(string lockPath)
    {
        if (!UnixLog.IsSupported || !OperatingSystem.IsLinux())
        {
            return;
        }
        int fd = UnixLog.OpenAppend(Path, create: false, out int errno);
        if (fd < 0)
        {
            throw new IOException($"The log '{Path}' cannot be opened for appending: {UnixLog.Describe(errno)}.");
        }
        if (!UnixLog.TryLockFile(fd, out errno))
        {
            _ = UnixLog.close(fd);
            // Only "held by another" means another receiver (EAGAIN 11, EACCES 13). A file system without OFD
            // locks (EINVAL: WSL 1, kernels before 3.15, some FUSE mounts; ENOLCK: network file systems) still
            // has the path lock; it only loses the hard-link check, and each record is one append all the same.
            if (errno == 11 || errno == 13)
            {
                throw InUse(Path, lockPath, new IOException(UnixLog.Describe(errno)));
            }
            return;
        }
        _heldFd = fd;
        _heldId = UnixLog.Identify(fd);
    }

    // After a rotation the log is a new file: lock it too (and let the old one go), so that a receiver
    // started later on a hard link to it is refused. A file someone else locked is still written: each
    // record is one append, so two writers lose nothing.
    private void FollowLock(int fd, FileId id)
    {
        if (!OperatingSystem.IsLinux() || id.Equals(_heldId) || !UnixLog.TryLockFile(fd, out _))
        {
            return;
        }
        int copy = UnixLog.dup(fd);
        if (copy < 0)
        {
            return;
        }
        if (_heldFd >= 0)
        {
            _ = UnixLog.close(_heldFd);
        }
        _heldFd = copy;
        _heldId = id;
    }

    private bool TryAppendUnix(byte[] record)
    {
        for (int attempt = 0; attempt < MaxTries; attempt++)
        {
            int fd = UnixLog.OpenAppend(Path, create: true, out int errno, out bool created);
            if (fd < 0)
            {
                return false;
            }
            try
            {
                BeforeWrite?.Invoke();
                byte[] bytes = EndsWithNewline(fd) ? record : Prefixed(record);
                long written = WriteOnce(fd, bytes);
                if (written != bytes.Length)
                {
                    CutBackUnix(fd, written);
                    return false;
                }
                // On disk before Alipay hears "success": after that it never sends this notification again.
                if (UnixLog.fsync(fd) != 0)
                {
                    CutBackUnix(fd, written);
                    return false;
                }
                if (created)
                {
                    SyncDirectory(System.IO.Path.GetDirectoryName(Path)!);
                }
                AfterWrite?.Invoke();
                // Still at the path, and still in the file? A rename, removal or truncation between the write
                // and here took it away: write it again (the rotated file keeps a copy, which a rerun of the
                // reconciliation counts once).
                long end = UnixLog.lseek(fd, 0, UnixLog.SeekCur);
                FileId id = UnixLog.Identify(fd);
                if (end >= 0 && UnixLog.lseek(fd, 0, UnixLog.SeekEnd) >= end && UnixLog.IdentifyPath(Path).Equals(id) && id.IsKnown)
                {
                    FollowLock(fd, id);
                    return true;
                }
            }
            finally
            {
                _ = UnixLog.close(fd);
            }
        }
        return false;
    }

    private static bool EndsWithNewline(int fd)
    {
        long length = UnixLog.lseek(fd, 0, UnixLog.SeekEnd);
        if (length <= 0)
        {
            return true;
        }
        var last = new byte[1];
        return UnixLog.pread(fd, last, 1, length - 1) != 1 || last[0] == (byte)'\n';
    }

    // One write call, so that the kernel appends the record as one piece; a short count is a failure.
    private long WriteOnce(int fd, byte[] bytes)
    {
        long budget = FailAfter;
        if (budget >= 0 && budget < bytes.Length)
        {
            long n = UnixLog.write(fd, bytes, (nint)budget);
            FailAfter = 0;
            return n < 0 ? 0 : n; // as a full disk writes part and stops
        }
        if (budget >= 0)
        {
            FailAfter = budget - bytes.Length;
        }
        long written = UnixLog.write(fd, bytes, bytes.Length);
        return written < 0 ? 0 : written;
    }

    // The descriptor's offset is just past what this append wrote: cut the file back to where the record
    // started, unless something was appended after it (then it is left, and the next record starts on a line
    // of its own).
    private static void CutBackUnix(int fd, long written)
    {
        if (written <= 0)
        {
            return;
        }
        long end = UnixLog.lseek(fd, 0, UnixLog.SeekCur);
        if (end >= written && UnixLog.lseek(fd, 0, UnixLog.SeekEnd) == end)
        {
            _ = UnixLog.ftruncate(fd, end - written);
            _ = UnixLog.fsync(fd);
        }
    }
#endif

    private static byte[] Prefixed(byte[] record)
    {
        var bytes = new byte[record.Length + 1];
        bytes[0] = (byte)'\n';
        Buffer.BlockCopy(record, 0, bytes, 1, record.Length);
        return bytes;
    }

    // Windows: the file is opened for each record and written at its end as it is then.
    private bool TryAppendStream(byte[] record)
    {
        FileStream? file = null;
        long end = -1;
        try
        {
            file = OpenLog(out bool created);
            end = file.Length;
            bool needsNewline = false;
            if (end > 0)
            {
                file.Position = end - 1;
                needsNewline = file.ReadByte() != '\n';
            }
            file.Position = end;
            BeforeWrite?.Invoke();
            Write(file, needsNewline ? Prefixed(record) : record);
            // On disk before Alipay hears "success": after that it never sends this notification again.
            file.Flush(flushToDisk: true);
            if (created)
            {
                SyncDirectory(System.IO.Path.GetDirectoryName(Path)!);
            }
            AfterWrite?.Invoke();
            return true;
        }
        catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
        {
            CutBack(file, end);
            return false;
        }
        finally
        {
            try
            {
                file?.Dispose();
            }
            catch (IOException)
            {
                // Nothing buffered is left to lose: every byte went through Write, and the answer is decided.
            }
        }
    }

    private FileStream OpenLog(out bool created)
    {
        created = !File.Exists(Path);
        // Readable and removable by others while open: a reconciliation task reads it, logrotate moves it.
        // Unbuffered (buffer size 1): a write that fails fails in Write, not later in a Dispose that flushes.
        return new FileStream(Path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
    }

    private void Write(FileStream file, byte[] bytes)
    {
        long budget = FailAfter;
        if (budget >= 0 && budget < bytes.Length)
        {
            file.Write(bytes, 0, (int)budget);
            file.Flush(flushToDisk: true);
            FailAfter = 0;
            throw new IOException("No space left on device (injected)");
        }
        if (budget >= 0)
        {
            FailAfter = budget - bytes.Length;
        }
        file.Write(bytes, 0, bytes.Length);
    }

    // A failed write may have left part of the record: cut the file back to where it ended, so the next
    // record does not join it into one line that reads back as neither.
    private static void CutBack(FileStream? file, long end)
    {
        if (file == null || end < 0)
        {
            return;
        }
        try
        {
            file.SetLength(end);
            file.Flush(flushToDisk: true);
        }
        catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is ObjectDisposedException)
        {
            // Left as it is: the newline check before the next record keeps that record on a line of its own.
        }
    }

    // A new file's name is only durable once its directory is: fsync the directory after creating the log
    // (POSIX; Windows has no such step, NTFS journals the entry).
    private static void SyncDirectory(string directory)
    {
#if NET
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        int fd = UnixLog.open(directory, 0 /* O_RDONLY */, 0);
        if (fd >= 0)
        {
            _ = UnixLog.fsync(fd);
            _ = UnixLog.close(fd);
        }
#else
        _ = directory;
#endif
    }
}

#if NET
/// <summary>A file's device and inode: what names it whatever path reaches it.</summary>
internal readonly record struct FileId(ulong Device, ulong Inode)
{
    public bool IsKnown => Inode != 0;
}

/// <summary>The few POSIX calls a true append needs (.NET's FileStream writes at the offset it tracks, never with O_APPEND).</summary>
internal static class UnixLog
{
    public const int SeekCur = 1;
    public const int SeekEnd = 2;

    private const int ENOENT = 2;

    /// <summary>Linux and macOS, whose flags and stat layouts are known here; elsewhere the stream writer is used.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS();

    private static int O_RDWR_APPEND_CLOEXEC => OperatingSystem.IsMacOS() ? 0x0002 | 0x0008 | 0x01000000 : 0x0002 | 0x0400 | 0x80000;

    /// <summary>
    /// Opens the log read-write with O_APPEND; with <paramref name="create"/>, creates it when missing (and says
    /// so). The file is created through FileStream, never with open's variadic mode argument, which P/Invoke
    /// cannot pass right on every ABI.
    /// </summary>
    public static int OpenAppend(string path, bool create, out int errno, out bool created)
    {
        created = false;
        errno = 0;
        for (int i = 0; i < 3; i++)
        {
            int fd = open(path, O_RDWR_APPEND_CLOEXEC, 0);
            if (fd >= 0)
            {
                return fd;
            }
            errno = Marshal.GetLastPInvokeError();
            if (errno != ENOENT || !create)
            {
                return -1;
            }
            try
            {
                using (new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None))
                {
                }
                created = true;
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                return -1;
            }
            // Removed again before it was opened (a rotation): open it again, a bounded number of times.
        }
        return -1;
    }

    public static int OpenAppend(string path, bool create, out int errno) => OpenAppend(path, create, out errno, out _);

    /// <summary>An OFD write lock on one byte at the far end of the file; false (and errno) when another description holds it.</summary>
    public static bool TryLockFile(int fd, out int errno)
    {
        var lk = new Flock { l_type = 1 /* F_WRLCK */, l_whence = 0, l_start = long.MaxValue - 1, l_len = 1 };
        int rc = fcntl(fd, 37 /* F_OFD_SETLK */, ref lk);
        errno = rc == 0 ? 0 : Marshal.GetLastPInvokeError();
        return rc == 0;
    }

    public static FileId Identify(int fd)
    {
        var stat = new byte[256];
        int rc;
        if (OperatingSystem.IsMacOS() && RuntimeInformation.ProcessArchitecture == Architecture.X64)
        {
            // Intel macOS exports plain fstat with the old struct (a 32-bit st_ino at offset 4); the layout read
            // below is the one of fstat$INODE64, which is also arm64's plain fstat.
            rc = fstat_inode64(fd, stat);
        }
        else if (!s_fxstatOnly)
        {
            try
            {
                rc = fstat(fd, stat);
            }
            catch (EntryPointNotFoundException)
            {
                s_fxstatOnly = true; // asked once, not for every record
                rc = Fxstat(fd, stat);
            }
        }
        else
        {
            rc = Fxstat(fd, stat);
        }
        if (rc != 0)
        {
            return default;
        }
        // st_ino is at offset 8 on Linux (x86-64 and the generic layout of arm64) and on macOS; st_dev before it is
        // 64 bits on Linux, 32 on macOS.
        ulong device = OperatingSystem.IsMacOS() ? BitConverter.ToUInt32(stat, 0) : BitConverter.ToUInt64(stat, 0);
        return new FileId(device, BitConverter.ToUInt64(stat, 8));
    }

    // glibc before 2.33 exports fstat only as __fxstat64 (version 1 on x86-64, 0 on the others).
    private static bool s_fxstatOnly;

    private static int Fxstat(int fd, byte[] stat) =>
        __fxstat64(RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 1 : 0, fd, stat);

    /// <summary>The identity of the file the path names now; default when there is none.</summary>
    public static FileId IdentifyPath(string path)
    {
        int fd = open(path, 0 /* O_RDONLY */ | (OperatingSystem.IsMacOS() ? 0x01000000 : 0x80000), 0);
        if (fd < 0)
        {
            return default;
        }
        try
        {
            return Identify(fd);
        }
        finally
        {
            _ = close(fd);
        }
    }

    public static string Describe(int errno) => new System.ComponentModel.Win32Exception(errno).Message;

    [StructLayout(LayoutKind.Sequential)]
    private struct Flock
    {
        public short l_type;
        public short l_whence;
        public long l_start;
        public long l_len;
        public int l_pid;
    }

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    public static extern IntPtr realpath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [DllImport("libc")]
    public static extern void free(IntPtr pointer);

    [DllImport("libc", SetLastError = true)]
    public static extern nint write(int fd, byte[] buffer, nint count);

    [DllImport("libc", SetLastError = true)]
    public static extern nint pread(int fd, byte[] buffer, nint count, long offset);

    [DllImport("libc", SetLastError = true)]
    public static extern long lseek(int fd, long offset, int whence);

    [DllImport("libc", SetLastError = true)]
    public static extern int ftruncate(int fd, long length);

    [DllImport("libc", SetLastError = true)]
    public static extern int fsync(int fd);

    [DllImport("libc", SetLastError = true)]
    public static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    public static extern int dup(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int fcntl(int fd, int cmd, ref Flock lk);

    [DllImport("libc", SetLastError = true)]
    private static extern int fstat(int fd, byte[] stat);

    [DllImport("libc", SetLastError = true)]
    private static extern int __fxstat64(int version, int fd, byte[] stat);

    [DllImport("libc", SetLastError = true, EntryPoint = "fstat$INODE64")]
    private static extern int fstat_inode64(int fd, byte[] stat);
}
#endif

/// <summary>Another receiver is writing the log: one receiver per log.</summary>
public sealed class LogInUseException : IOException
{
    public LogInUseException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
