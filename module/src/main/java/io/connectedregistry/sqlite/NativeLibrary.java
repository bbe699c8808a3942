package io.connectedregistry.sqlite;

import io.connectedregistry.natives.NativeLibraryCopy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where sqlite-jdbc loads SQLite's native library from.
 *
 * <p>Left alone, the driver writes the library out of its jar into the temporary folder on every
 * start, reads it back to compare, and first runs {@code uname -o} (a process) to rule out
 * Android: a few hundred milliseconds of each start on a small or busy machine, and a stale copy
 * in {@code /tmp} after each crash. This keeps one copy per driver version in the data folder
 * ({@code DATA/native/}, private like the rest of it), written and checked by {@link
 * NativeLibraryCopy}; the driver is then told to load that file ({@code org.sqlite.lib.path},
 * {@code org.sqlite.lib.name}).
 *
 * <p>Only for glibc Linux on x86_64 and aarch64, the platforms whose folder in the driver's jar is
 * known without asking the system. Anywhere else, when the folder cannot be written (read-only
 * data), when the copy differs, or when a user set the driver's properties, nothing is set and the
 * driver does what it always does. If the copy cannot be loaded (a {@code noexec} mount), the
 * driver falls back to its own extraction by itself.
 */
final class NativeLibrary {
  private static final Logger LOG = LoggerFactory.getLogger(NativeLibrary.class);
  static final String PATH_PROPERTY = "org.sqlite.lib.path";
  static final String NAME_PROPERTY = "org.sqlite.lib.name";
  private static final String LIBRARY = "libsqlitejdbc.so";
  private static final AtomicBoolean DECIDED = new AtomicBoolean();

  private NativeLibrary() {}

  /** Once per JVM, before the first connection: points the driver at a cached copy in {@code dataFolder}. */
  static void useCachedCopy(Path dataFolder) {
    if (!DECIDED.compareAndSet(false, true)
        || System.getProperty(PATH_PROPERTY) != null || System.getProperty(NAME_PROPERTY) != null) {
      return;
    }
    resourcePath().flatMap(resource -> cachedCopy(dataFolder, resource)).ifPresent(copy -> {
      System.setProperty(PATH_PROPERTY, copy.getParent().toString());
      System.setProperty(NAME_PROPERTY, copy.getFileName().toString());
    });
  }

  /** The library's path inside the driver's jar, or empty where it is not known for certain. */
  static Optional<String> resourcePath() {
    String os = System.getProperty("os.name", "");
    String arch = switch (System.getProperty("os.arch", "").toLowerCase(Locale.ROOT)) {
      case "amd64", "x86_64" -> "x86_64";
      case "aarch64", "arm64" -> "aarch64";
      default -> null;
    };
    if (!os.equals("Linux") || arch == null || isMuslOrAndroid()) {
      return Optional.empty();
    }
    String resource = "/org/sqlite/native/Linux/" + arch + "/" + LIBRARY;
    return NativeLibrary.class.getResource(resource) == null ? Optional.empty() : Optional.of(resource);
  }

  /** musl (Alpine) and Android have folders of their own in the jar: the driver's own choice then. */
  private static boolean isMuslOrAndroid() {
    if (System.getProperty("java.runtime.name", "").toLowerCase(Locale.ROOT).contains("android")
        || Files.exists(Path.of("/system/build.prop"))) {
      return true;
    }
    try {
      return Files.readString(Path.of("/proc/self/maps")).contains("musl");
    } catch (IOException | RuntimeException e) {
      return true; // cannot tell: do not guess
    }
  }

  /**
   * {@code DATA/native/sqlite-VERSION/libsqlitejdbc.so}, equal to the jar's copy, written if
   * missing or different ({@link NativeLibraryCopy}); empty if it cannot be.
   */
  static Optional<Path> cachedCopy(Path dataFolder, String resource) {
    Path folder = dataFolder.resolve("native").resolve("sqlite-" + driverVersion());
    try {
      return Optional.of(NativeLibraryCopy.ensure(NativeLibrary.class, resource, folder, LIBRARY));
    } catch (IOException | RuntimeException e) {
      LOG.debug("SQLite's native library is not cached in {} ({}); the driver extracts it", folder, e.toString());
      return Optional.empty();
    }
  }

  private static String driverVersion() {
    return org.sqlite.SQLiteJDBCLoader.getVersion().replaceAll("[^0-9A-Za-z.\\-]", "_");
  }
}
