package io.connectedregistry.launcher;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
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

  interface LibC extends Library {
    int execve(String path, String[] argv, String[] envp);

    int fcntl(int fd, int cmd, int arg);

    int sigprocmask(int how, Pointer set, Pointer oldset);
  }

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
    try {
      return Native.load("libc.so.6", LibC.class);
    } catch (UnsatisfiedLinkError notGlibc) {
      return Native.load("c", LibC.class);
    }
  }

  /** Returns only on failure, with the reason. */
  static String execve(LibC libc, String program, List<String> argv, List<String> env) {
    closeOnExec(libc);
    Memory empty = new Memory(SIGSET_BYTES);
    empty.clear();
    Memory before = new Memory(SIGSET_BYTES);
    libc.sigprocmask(SIG_SETMASK, empty, before);
    libc.execve(program, argv.toArray(String[]::new), env.toArray(String[]::new));
    int errno = Native.getLastError();
    libc.sigprocmask(SIG_SETMASK, before, null); // this JVM runs on: its thread's mask as it was
    return "execve failed, errno " + errno;
  }

  private static void closeOnExec(LibC libc) {
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
      for (Path fd : fds) {
        int n = Integer.parseInt(fd.getFileName().toString());
        if (n > 2) {
          libc.fcntl(n, F_SETFD, FD_CLOEXEC);
        }
      }
    } catch (IOException | NumberFormatException e) {
      // Without /proc the new JVM inherits a few descriptors: harmless, and no reason not to start.
    }
  }
}
