package io.connectedregistry.launcher;

import java.nio.file.Path;

/**
 * Run in a JVM of its own by {@link ExecTest} (JNA loads its library once per JVM): points JNA at
 * the data folder's copy, loads the C library, calls it, and prints where JNA's library came from.
 */
public final class DispatchProbe {
  private static final int F_GETFD = 1;

  private DispatchProbe() {}

  public static void main(String[] args) {
    Exec.useCachedDispatch(Path.of(args[0]));
    Exec.LibC libc = Exec.libc();
    int flags = libc.fcntl().invokeInt(new Object[] {0, F_GETFD, 0});
    System.out.println(System.getProperty("jnidispatch.path") + " " + flags);
  }
}
