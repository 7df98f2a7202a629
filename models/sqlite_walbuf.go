//go:build !sqlite_ncruces && !sqlite_mattn

package models

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLite writes each WAL frame with two pwrite calls (its 24-byte header,
// then the page), so a group of creates that changed 100 pages made 200
// system calls at COMMIT: 14 % of the server's CPU under POST /Users over
// HTTP (system calls are dear in a VM). The frames of one commit are
// contiguous in the WAL, so the "muster" VFS, the default unix VFS but for
// this, gathers a WAL file's consecutive writes in a buffer and writes them
// with one pwrite.
//
// When the buffer is written: a COMMIT must fail when its frames are not
// all in the file (a full disk), so the buffer is written, and a failure
// returned, by an xWrite SQLite checks, never where it cannot be told.
// Only a commit frame's header has a non-zero commit field (bytes 4-7, the
// database size), and sqlite3WalFrames writes the commit frame after all
// the commit's other frames. From such a header on, until the connection
// next uses the shared memory (to publish the commit, or roll it back):
//   - the write of its page (the next write) writes the buffer, header
//     and page included, and returns how that went: a failure fails that
//     xWrite, so sqlite3WalFrames fails and the COMMIT with it, and the
//     commit is never published;
//   - if bytes were written after the header's place since the WAL last
//     started over (walRewriteChecksums rewriting the headers of a
//     transaction that overwrote its own frames, whose pages are there;
//     frames again where a rolled-back transaction wrote), the header's
//     own write writes the buffer, and its page's write again;
//   - every other write (the padding frames of synchronous=FULL without
//     powersafe overwrite, the parts of a frame split at a sync point) is
//     written at once, before its xWrite returns.
// The buffer is also written before anything else is done with the WAL
// file (a read, sync, truncate, size, lock, close), which fails if the
// write did; so when SQLite publishes a commit (walIndexWriteHdr, after the
// last frame's write returned SQLITE_OK) its frames are all in the file,
// and a reader never finds a header naming frames not there.
//
// The database file's shared-memory calls (barrier, lock, map) of the same
// connection still write what the connection's WAL gathered, as a safety
// net: a barrier cannot fail, so a failure there is only told to the next
// call on the WAL. It should find nothing (walLateFlushes counts when it
// does, for tests) but frames of a transaction not committed yet (a cache
// spill, whose index pages may map shared memory). Connections are told
// apart by the *libc.TLS modernc gives each; only the writer's WAL file
// ever buffers. A failed write of the buffer also fails every later WAL
// write of that connection until it lets the write lock go (w.broken), so
// a transaction whose spilled frames were lost can never commit. That
// release is a shared-memory call: under locking_mode=EXCLUSIVE, which
// Muster does not use, there are none, and the connection would have to be
// reopened after such a failure.

// walBufSize is the most a WAL file gathers: 256 frames of 4 KiB, written
// walWriteMax at a time (seekAndWriteFd's limit: 128 KiB less a byte).
const (
	walBufSize  = 1 << 20
	walWriteMax = 124 << 10
)

// walBuf is the writes of one WAL file not yet in the file: n bytes at
// buf, from offset off.
type walBuf struct {
	mu   sync.Mutex
	tls  *libc.TLS
	file uintptr
	real uintptr // the unix VFS's io methods
	buf  uintptr // C memory, walBufSize bytes (allocated at the first write)
	n    int32
	off  int64
	// err: a write that failed where it could not be told (a barrier),
	// told once to the next call on the file, whose transaction fails.
	err int32
	// broken: a write of the buffer failed in this write transaction, so
	// frames SQLite finds by the wal-index (a cache spill's) may not be in
	// the file, and reading them would read what was there before (rows a
	// rolled-back transaction wrote, say). Every later write fails with
	// it, so the transaction cannot commit (a spill's failure puts the
	// pager in its error state, as a failed write would have), until the
	// connection lets the write lock go (dbShmLock).
	broken int32
	// commit: a commit frame's header was written since the connection
	// last used the shared memory: writes go to the file at once (but the
	// header's, which waits for its page).
	commit bool
	// hi is where the bytes written since the WAL header (offset 0) end;
	// a commit header whose page starts before hi has its page there.
	hi int64
	// name is the file's path, for walFailNext.
	name string
	// end is hi as the checkpointer reads it (walEnd), shared by the
	// file's handles on every connection.
	end *atomic.Int64
}

// walGathered and walWritten count the writes SQLite made to WAL files
// and those the buffers made to the files, walLateFlushes the times a
// shared-memory call found gathered writes, for tests.
var walGathered, walWritten, walLateFlushes atomic.Int64

// walFailNext, for tests: the next time the named WAL file's buffer is
// written, it is not, and the write fails with rc, as a full disk would.
var walFailNext atomic.Pointer[walFailure]

type walFailure struct {
	name string
	rc   int32
}

// walEnds is where the writes to each WAL file end since its log last
// started over (walBuf.hi), by the file's name: the checkpointer starts a
// checkpoint by how long the log grew (checkpoint.go). Kept for the
// process's life, one word a database file.
var walEnds sync.Map

// walEnd is where the writes to the WAL file named name end, in bytes
// from its start, as this process wrote them.
func walEnd(name string) *atomic.Int64 {
	v, _ := walEnds.LoadOrStore(name, new(atomic.Int64))
	return v.(*atomic.Int64)
}

var walFiles = struct {
	sync.Mutex
	byFile map[uintptr]*walBuf
}{byFile: map[uintptr]*walBuf{}}

// realVfs is the unix VFS, methodsFor the io methods given to files
// (by the unix VFS's methods and whether the file is a WAL), and fileExtra
// where in a file the unix methods' address is kept (after the unix file).
var (
	realVfs    uintptr
	fileExtra  uintptr
	methodsMu  sync.Mutex
	methodsFor = map[[2]uintptr]uintptr{}
)

type ioMethods = sqlite3.Tsqlite3_io_methods

func methodsAt(p uintptr) *ioMethods { return (*ioMethods)(unsafe.Add(unsafe.Pointer(nil), p)) }

func fileAt(p uintptr) *sqlite3.Tsqlite3_file {
	return (*sqlite3.Tsqlite3_file)(unsafe.Add(unsafe.Pointer(nil), p))
}

// realMethods is the unix io methods of file.
func realMethods(file uintptr) *ioMethods {
	return methodsAt(*(*uintptr)(unsafe.Add(unsafe.Pointer(nil), file+fileExtra)))
}

func walOf(file uintptr) *walBuf {
	walFiles.Lock()
	defer walFiles.Unlock()
	return walFiles.byFile[file]
}

// flushLocked writes what w gathered, and answers how that went or a
// failure not told yet; w.mu is held.
func (w *walBuf) flushLocked(tls *libc.TLS) int32 {
	if w.n == 0 {
		rc := w.err
		w.err = sqlite3.SQLITE_OK
		return rc
	}
	if f := walFailNext.Load(); f != nil && f.name == w.name && walFailNext.CompareAndSwap(f, nil) {
		w.n = 0
		w.broken = f.rc
		return f.rc
	}
	// The unix VFS writes at most 128 KiB less a byte per call.
	rc := int32(sqlite3.SQLITE_OK)
	for done := int32(0); done < w.n && rc == sqlite3.SQLITE_OK; done += walWriteMax {
		n := min(w.n-done, walWriteMax)
		walWritten.Add(1)
		rc = callWrite(methodsAt(w.real).FxWrite, tls, w.file, w.buf+uintptr(done), n, w.off+int64(done))
	}
	w.n = 0
	if rc != sqlite3.SQLITE_OK {
		w.broken = rc
	}
	return rc
}

func (w *walBuf) flush(tls *libc.TLS) int32 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked(tls)
}

// flushConn writes what the WAL files of tls's connection gathered.
func flushConn(tls *libc.TLS) {
	walFiles.Lock()
	var mine []*walBuf
	for _, w := range walFiles.byFile {
		if w.tls == tls {
			mine = append(mine, w)
		}
	}
	walFiles.Unlock()
	for _, w := range mine {
		w.mu.Lock()
		if w.n > 0 {
			walLateFlushes.Add(1)
		}
		if rc := w.flushLocked(tls); rc != sqlite3.SQLITE_OK {
			w.err = rc
		}
		w.commit = false
		w.mu.Unlock()
	}
}

func callWrite(fn uintptr, tls *libc.TLS, file, p uintptr, n int32, off int64) int32 {
	return (*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&fn)))(tls, file, p, n, off)
}

// The WAL file's methods.

func walWrite(tls *libc.TLS, file, p uintptr, n int32, off int64) int32 {
	w := walOf(file)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != sqlite3.SQLITE_OK {
		rc := w.err
		w.err = sqlite3.SQLITE_OK
		return rc
	}
	if w.broken != sqlite3.SQLITE_OK {
		return w.broken
	}
	if off == 0 {
		w.hi = 0 // the WAL header: the log starts over
	}
	// A commit frame's header (any 24-byte write with non-zero bytes 4-7:
	// taking a piece of a page for one only writes sooner).
	commitHdr := n == walFrameHdr && *(*uint32)(unsafe.Add(unsafe.Pointer(nil), p+4)) != 0
	pageThere := off+walFrameHdr < w.hi
	w.hi = max(w.hi, off+int64(n))
	w.end.Store(w.hi)
	if commitHdr {
		w.commit = true
	}
	if w.n > 0 && (off != w.off+int64(w.n) || w.n+n > walBufSize) {
		if rc := w.flushLocked(tls); rc != sqlite3.SQLITE_OK {
			return rc
		}
	}
	if n > walBufSize { // never: SQLite writes a frame header or a page (at most 64 KiB) at a time
		walWritten.Add(1)
		return callWrite(methodsAt(w.real).FxWrite, tls, file, p, n, off)
	}
	if w.buf == 0 {
		if w.buf = libc.Xmalloc(tls, walBufSize); w.buf == 0 {
			walWritten.Add(1)
			return callWrite(methodsAt(w.real).FxWrite, tls, file, p, n, off)
		}
	}
	if w.n == 0 {
		w.off = off
	}

	copy(cBytes(w.buf+uintptr(w.n), n), cBytes(p, n))
	w.n += n
	walGathered.Add(1)
	if w.commit && (!commitHdr || pageThere) {
		// The commit's last bytes (or bytes after them): in the file
		// before this write returns, or the write fails.
		return w.flushLocked(tls)
	}
	return sqlite3.SQLITE_OK
}

// walFirst writes what file gathered before another of its methods runs;
// a failure is that method's, as SQLITE_IOERR_WRITE: a statement that
// meets an I/O error rolls the whole transaction back, where one that
// meets SQLITE_FULL with a statement journal only rolls itself back and
// the transaction would go on without the frames (broken makes its COMMIT
// fail anyway).
func walFirst(tls *libc.TLS, file uintptr) int32 {
	if w := walOf(file); w != nil {
		if rc := w.flush(tls); rc != sqlite3.SQLITE_OK {
			return sqlite3.SQLITE_IOERR_WRITE
		}
	}
	return sqlite3.SQLITE_OK
}

// walWriteLock is the wal-index lock a writer holds (wal.c's WAL_WRITE_LOCK).
const walWriteLock = 0

// endWriteConn forgets a failed write of tls's WAL files when the
// connection lets the write lock go: its transaction is over (rolled
// back), and the next one writes its frames again.
func endWriteConn(tls *libc.TLS) {
	walFiles.Lock()
	defer walFiles.Unlock()
	for _, w := range walFiles.byFile {
		if w.tls == tls {
			w.mu.Lock()
			w.broken = sqlite3.SQLITE_OK
			w.mu.Unlock()
		}
	}
}

func walClose(tls *libc.TLS, file uintptr) int32 {
	m := realMethods(file)
	w := walOf(file)
	rc := walFirst(tls, file)
	walFiles.Lock()
	delete(walFiles.byFile, file)
	walFiles.Unlock()
	if w != nil && w.buf != 0 {
		libc.Xfree(tls, w.buf)
	}
	if rc2 := (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&m.FxClose)))(tls, file); rc == sqlite3.SQLITE_OK {
		rc = rc2
	}
	return rc
}

func walRead(tls *libc.TLS, file, p uintptr, n int32, off int64) int32 {
	if rc := walFirst(tls, file); rc != sqlite3.SQLITE_OK {
		return rc
	}
	fn := realMethods(file).FxRead
	rc := (*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&fn)))(tls, file, p, n, off)
	return rc
}

func walTruncate(tls *libc.TLS, file uintptr, size int64) int32 {
	if rc := walFirst(tls, file); rc != sqlite3.SQLITE_OK {
		return rc
	}
	if w := walOf(file); w != nil {
		w.mu.Lock()
		w.hi = min(w.hi, size)
		w.end.Store(w.hi)
		w.mu.Unlock()
	}
	fn := realMethods(file).FxTruncate
	return (*(*func(*libc.TLS, uintptr, int64) int32)(unsafe.Pointer(&fn)))(tls, file, size)
}

func walSync(tls *libc.TLS, file uintptr, flags int32) int32 {
	if rc := walFirst(tls, file); rc != sqlite3.SQLITE_OK {
		return rc
	}
	fn := realMethods(file).FxSync
	return (*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&fn)))(tls, file, flags)
}

func walFileSize(tls *libc.TLS, file, pSize uintptr) int32 {
	if rc := walFirst(tls, file); rc != sqlite3.SQLITE_OK {
		return rc
	}
	fn := realMethods(file).FxFileSize
	return (*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&fn)))(tls, file, pSize)
}

func walLock(tls *libc.TLS, file uintptr, lock int32) int32 {
	if rc := walFirst(tls, file); rc != sqlite3.SQLITE_OK {
		return rc
	}
	fn := realMethods(file).FxLock
	return (*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&fn)))(tls, file, lock)
}

func walUnlock(tls *libc.TLS, file uintptr, lock int32) int32 {
	if rc := walFirst(tls, file); rc != sqlite3.SQLITE_OK {
		return rc
	}
	fn := realMethods(file).FxUnlock
	return (*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&fn)))(tls, file, lock)
}

func walFileControl(tls *libc.TLS, file uintptr, op int32, arg uintptr) int32 {
	if rc := walFirst(tls, file); rc != sqlite3.SQLITE_OK {
		return rc
	}
	fn := realMethods(file).FxFileControl
	return (*(*func(*libc.TLS, uintptr, int32, uintptr) int32)(unsafe.Pointer(&fn)))(tls, file, op, arg)
}

// The database file's shared-memory methods: the connection's WAL first.

func dbShmMap(tls *libc.TLS, file uintptr, page, size, extend int32, pp uintptr) int32 {
	flushConn(tls)
	fn := realMethods(file).FxShmMap
	return (*(*func(*libc.TLS, uintptr, int32, int32, int32, uintptr) int32)(unsafe.Pointer(&fn)))(tls, file, page, size, extend, pp)
}

func dbShmLock(tls *libc.TLS, file uintptr, offset, n, flags int32) int32 {
	flushConn(tls)
	if offset == walWriteLock && flags&sqlite3.SQLITE_SHM_UNLOCK != 0 {
		endWriteConn(tls)
	}
	fn := realMethods(file).FxShmLock
	return (*(*func(*libc.TLS, uintptr, int32, int32, int32) int32)(unsafe.Pointer(&fn)))(tls, file, offset, n, flags)
}

func dbShmBarrier(tls *libc.TLS, file uintptr) {
	flushConn(tls)
	fn := realMethods(file).FxShmBarrier
	(*(*func(*libc.TLS, uintptr))(unsafe.Pointer(&fn)))(tls, file)
}

var (
	fnWalWrite, fnWalRead                  = walWrite, walRead
	fnWalClose                             = walClose
	fnWalTruncate                          = walTruncate
	fnWalSync, fnWalLock, fnWalUnlock      = walSync, walLock, walUnlock
	fnWalFileSize                          = walFileSize
	fnWalFileControl                       = walFileControl
	fnDbShmMap, fnDbShmLock, fnDbShmBarier = dbShmMap, dbShmLock, dbShmBarrier
	fnVfsOpen                              = vfsOpen
)

// methodsFrom is real's io methods with the overrides for a WAL file
// (wal) or a database file, made once and kept.
func methodsFrom(tls *libc.TLS, real uintptr, wal bool) uintptr {
	key := [2]uintptr{real, 0}
	if wal {
		key[1] = 1
	}
	methodsMu.Lock()
	defer methodsMu.Unlock()
	if p, ok := methodsFor[key]; ok {
		return p
	}
	p := libc.Xmalloc(tls, libc.Tsize_t(unsafe.Sizeof(ioMethods{})))
	if p == 0 {
		return 0
	}
	m := methodsAt(p)
	*m = *methodsAt(real)
	if wal {
		m.FxWrite, m.FxRead, m.FxClose = cFunc(&fnWalWrite), cFunc(&fnWalRead), cFunc(&fnWalClose)
		m.FxTruncate, m.FxSync, m.FxFileSize = cFunc(&fnWalTruncate), cFunc(&fnWalSync), cFunc(&fnWalFileSize)
		m.FxLock, m.FxUnlock, m.FxFileControl = cFunc(&fnWalLock), cFunc(&fnWalUnlock), cFunc(&fnWalFileControl)
	} else if m.FiVersion >= 2 {
		m.FxShmMap, m.FxShmLock, m.FxShmBarrier = cFunc(&fnDbShmMap), cFunc(&fnDbShmLock), cFunc(&fnDbShmBarier)
	}
	methodsFor[key] = p
	return p
}

func vfsOpen(tls *libc.TLS, vfs, name, file uintptr, flags int32, outFlags uintptr) int32 {
	fn := (*sqlite3.Tsqlite3_vfs)(unsafe.Add(unsafe.Pointer(nil), realVfs)).FxOpen
	rc := (*(*func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32)(unsafe.Pointer(&fn)))(tls, realVfs, name, file, flags, outFlags)
	f := fileAt(file)
	if rc != sqlite3.SQLITE_OK || f.FpMethods == 0 {
		return rc
	}
	wal := flags&sqlite3.SQLITE_OPEN_WAL != 0
	if !wal && flags&sqlite3.SQLITE_OPEN_MAIN_DB == 0 {
		return rc
	}
	mine := methodsFrom(tls, f.FpMethods, wal)
	if mine == 0 {
		return rc // no memory for the copy: the file goes unbuffered
	}
	*(*uintptr)(unsafe.Add(unsafe.Pointer(nil), file+fileExtra)) = f.FpMethods
	if wal {
		walFiles.Lock()
		walName := libc.GoString(name)
		walFiles.byFile[file] = &walBuf{tls: tls, file: file, real: f.FpMethods, name: walName, end: walEnd(walName)}
		walFiles.Unlock()
	}
	f.FpMethods = mine
	return rc
}

// useWalBufVfs registers the "muster" VFS as the default; after
// sqlite3_config, which it ends (finding the unix VFS initialises SQLite).
func useWalBufVfs(tls *libc.TLS) int32 {
	realVfs = sqlite3.Xsqlite3_vfs_find(tls, 0)
	if realVfs == 0 {
		return sqlite3.SQLITE_ERROR
	}
	p := libc.Xmalloc(tls, libc.Tsize_t(unsafe.Sizeof(sqlite3.Tsqlite3_vfs{})))
	name, err := libc.CString("muster")
	if p == 0 || err != nil {
		return sqlite3.SQLITE_NOMEM
	}
	v := (*sqlite3.Tsqlite3_vfs)(unsafe.Add(unsafe.Pointer(nil), p))
	*v = *(*sqlite3.Tsqlite3_vfs)(unsafe.Add(unsafe.Pointer(nil), realVfs))
	fileExtra = uintptr((v.FszOsFile + 7) &^ 7)
	v.FszOsFile = int32(fileExtra) + 8
	v.FzName, v.FpNext = name, 0
	v.FxOpen = cFunc(&fnVfsOpen)
	return sqlite3.Xsqlite3_vfs_register(tls, p, 1)
}
