package io.connectedregistry.launcher;

import com.sun.jna.Function;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import io.connectedregistry.natives.NativeLibraryCopy;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Replaces this JVM by another program with {@code execve(2)}: same PID, so a supervisor (IoT
 * Edge, Docker, systemd, Kubernetes) still watches one process, its signals reach the new JVM, and
 * its exit code is the new JVM's; nothing of this JVM stays resident.
 *
 * <p>What exec keeps and what is cleaned first: open file descriptors survive exec, so every
 * descriptor above stderr is marked close-on-exec (the jar, the JDK's modules file, perf data);
 * the signal mask survives exec, and HotSpot blocks SIGQUIT in Java threads (only its own signal
 * thread takes it), so the mask is emptied, or the new JVM would start with SIGQUIT blocked.
 * Signals set to "ignore" stay ignored, as they were when this JVM started (HotSpot installs no
 * handler over an ignored SIGHUP/SIGINT/SIGTERM): the new JVM sees what this one saw.
 */
final class Exec {
  private static final int F_SETFD = 2;
  private static final int FD_CLOEXEC = 1;
  private static final int SIG_SETMASK = 2; // Linux, all architectures
  private static final int SIGSET_BYTES = 128; // glibc's sigset_t

  private static final String BOOT_PATH = "jna.boot.library.path";
  private static final String DISPATCH = "libjnidispatch.so";

  /**
   * The C library's functions that exec needs, called through JNA's {@link Function} rather than
   * an interface JNA implements: that takes a {@link java.lang.reflect.Proxy}, whose class is
   * generated at run time (~20 ms of every start, bench/README.md, issue #13, eleventh session).
   */
  record LibC(Function execve, Function fcntl, Function sigprocmask) {}

  private Exec() {}

  /**
   * Loads the C library through JNA; throws (UnsatisfiedLinkError, ...) when it cannot. By its
   * file name (dlopen finds it), with JNA's own search path preset: to build it JNA would run
   * {@code ldconfig -p} in a new process (~100-200 ms of every start).
   */
  static LibC libc() {
    if (System.getProperty("jna.platform.library.path") == null) {
      System.setProperty("jna.platform.library.path", "/lib:/usr/lib");
    }
    NativeLibrary c;
    try {
      c = NativeLibrary.getInstance("libc.so.6");
    } catch (UnsatisfiedLinkError notGlibc) {
      c = NativeLibrary.getInstance("c");
    }
    return new LibC(c.getFunction("execve"), c.getFunction("fcntl"), c.getFunction("sigprocmask"));
  }

  /**
   * Points JNA at a copy of its own native library in {@code DATA/native/jna-VERSION/} ({@link
   * NativeLibraryCopy}), made at the first start: left alone, JNA unpacks it into a new temporary
   * file at every start (~25 ms: a SecureRandom for the file's name, the write, the delete). Only
   * for Linux on x86_64 and aarch64 and when the user set no path of their own; when the copy
   * cannot be made or loaded, JNA unpacks it as before.
   */
  static void useCachedDispatch(Path dataFolder) {
    String platform = switch (System.getProperty("os.arch", "")) {
      case "amd64", "x86_64" -> "linux-x86-64";
      case "aarch64" -> "linux-aarch64";
      default -> null;
    };
    if (platform == null || System.getProperty(BOOT_PATH) != null) {
      return;
    }
    try {
      // Native.VERSION is a constant: naming it does not load JNA's library before the path is set.
      Path folder = dataFolder.resolve("native").resolve("jna-" + Native.VERSION);
      Path copy = NativeLibraryCopy.ensure(Library.class, "/com/sun/jna/" + platform + "/" + DISPATCH, folder, DISPATCH);
      System.setProperty(BOOT_PATH, copy.getParent().toString());
    } catch (IOException | RuntimeException e) {
      // JNA unpacks its library into jna.tmpdir, as it always did.
    }
  }

  /** Returns only on failure, with the reason. */
  static String execve(LibC libc, String program, List<String> argv, List<String> env) {
    closeOnExec(libc);
    Memory empty = new Memory(SIGSET_BYTES);
    empty.clear();
    Memory before = new Memory(SIGSET_BYTES);
    libc.sigprocmask().invokeInt(new Object[] {SIG_SETMASK, empty, before});
    libc.execve().invokeInt(new Object[] {program, argv.toArray(new String[0]), env.toArray(new String[0])});
    int errno = Native.getLastError();
    // this JVM runs on: its thread's mask as it was
    libc.sigprocmask().invokeInt(new Object[] {SIG_SETMASK, before, null});
    return "execve failed, errno " + errno;
  }

  private static void closeOnExec(LibC libc) {
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
      for (Path fd : fds) {
        int n = Integer.parseInt(fd.getFileName().toString());
        if (n > 2) {
          libc.fcntl().invokeInt(new Object[] {n, F_SETFD, FD_CLOEXEC});
        }
      }
    } catch (IOException | NumberFormatException e) {
      // Without /proc the new JVM inherits a few descriptors: harmless, and no reason not to start.
    }
  }
}
