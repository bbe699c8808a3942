package io.connectedregistry.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.zip.CRC32;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The AppCDS archive of the registry's classes (JDK 17: a dynamic archive, written by the JVM when
 * it exits with {@code -XX:ArchiveClassesAtExit}, read with {@code -XX:SharedArchiveFile}): it
 * halves the CPU a start needs.
 *
 * <p>Kept in {@code DATA/jvm/} under a name keyed by the jar (path, size, modification time), the
 * JVM (home, {@code java.vm.version}) and the JVM options, so an upgraded jar or JDK never meets an
 * old archive. A start without the archive dumps one at exit into {@code NAME.PID.tmp}; once
 * ready, the registry adds {@code NAME.PID.tmp.ready} ({@link #markReady}). The next start
 * syncs a dump newer than its marker and renames it to {@code NAME-SIZE.jsa}: a start that failed before ready (a
 * bad configuration, a locked data folder) never leaves a half-trained archive in use. Anything
 * else in the folder is deleted. The JVM checks an archive's header and (with {@code -XX:+VerifySharedSpaces})
 * its checksums and starts without it when they do not match; the size is checked here. A damaged
 * archive costs the speed-up, never the start.
 */
public final class ClassArchive {
  static final String FOLDER = "jvm";
  private static final String TMP = ".tmp";
  private static final String READY = ".ready";
  private static final String JSA = ".jsa";
  /**
   * Writing the archive at exit takes far more memory than the run before it: resident 223 MiB
   * at its peak for a registry at 127 MiB with the small-device settings after the benchmark. In
   * a memory cgroup of 192 MiB that stop was killed (exit 137, no archive, and the same at every
   * later stop); with 256 MiB it was written (bench/README.md). Below this limit (a container's, a
   * pod's, a small device's RAM) none is made; an archive already there is still used.
   */
  public static final long DUMP_MIN_MEMORY = 256L << 20;

  private ClassArchive() {}

  /** The JVM options that use (or make) the archive in {@code folder}; none if the folder is unusable. */
  static List<String> options(Path folder, Path jar, List<String> jvmOptions, long pid) {
    return options(folder, jar, jvmOptions, pid, OptionalLong.empty());
  }

  /** The same, making no archive where the memory limit is below {@link #DUMP_MIN_MEMORY}. */
  static List<String> options(Path folder, Path jar, List<String> jvmOptions, long pid, OptionalLong memoryLimit) {
    try {
      Files.createDirectories(folder);
      String name = "cds-" + key(jar, jvmOptions);
      Optional<Path> archive = usable(folder, name).or(() -> promoteReadyDump(folder, name));
      deleteOthers(folder, archive);
      if (archive.isPresent()) {
        // The JVM checks the archive's checksums (a damaged archive is then ignored, with a warning).
        return List.of("-XX:SharedArchiveFile=" + archive.get(), "-XX:+VerifySharedSpaces");
      }
      if (memoryLimit.isPresent() && memoryLimit.getAsLong() < DUMP_MIN_MEMORY) {
        return List.of("-D" + Launcher.ARCHIVE_SKIPPED + "=" + memoryLimit.getAsLong());
      }
      Path dump = folder.resolve(name + "." + pid + TMP);
      // The dump prints a warning per class it cannot archive (~190 lines: picocli's Java 5 classes).
      return List.of("-XX:ArchiveClassesAtExit=" + dump, "-Xlog:cds=off,cds+dynamic=off",
          "-D" + Launcher.PENDING_ARCHIVE + "=" + dump);
    } catch (IOException | UncheckedIOException e) {
      return List.of();
    }
  }

  /**
   * {@code NAME-SIZE.jsa} of exactly SIZE bytes. JDK 17 dies of SIGBUS on a truncated archive (it
   * maps the regions its header names, past the end of the file) before any checksum is checked,
   * so the size the archive had when it was kept is part of its name, and checked here.
   */
  private static Optional<Path> usable(Path folder, String name) throws IOException {
    for (Path p : list(folder)) {
      String file = p.getFileName().toString();
      if (file.startsWith(name + "-") && file.endsWith(JSA)) {
        String size = file.substring(name.length() + 1, file.length() - JSA.length());
        if (size.matches("[0-9]{1,18}") && Files.size(p) == Long.parseLong(size)) {
          return Optional.of(p);
        }
      }
    }
    return Optional.empty();
  }

  private static Optional<Path> promoteReadyDump(Path folder, String name) {
    try {
      for (Path dump : list(folder)) {
        String file = dump.getFileName().toString();
        Path marker = folder.resolve(file + READY);
        if (file.startsWith(name + ".") && file.endsWith(TMP) && Files.isRegularFile(marker)
            && Files.size(dump) > 0
            && Files.getLastModifiedTime(dump).compareTo(Files.getLastModifiedTime(marker)) >= 0) {
          try (FileChannel c = FileChannel.open(dump, StandardOpenOption.READ)) {
            c.force(true);
          }
          Path archive = folder.resolve(name + "-" + Files.size(dump) + JSA);
          Files.move(dump, archive, StandardCopyOption.ATOMIC_MOVE);
          try (FileChannel d = FileChannel.open(folder, StandardOpenOption.READ)) {
            d.force(true);
          } catch (IOException e) {
            // Some file systems cannot sync a folder: the rename is still atomic.
          }
          return Optional.of(archive);
        }
      }
    } catch (IOException e) {
      // No archive this time: the next dump tries again.
    }
    return Optional.empty();
  }

  /** Old archives (another jar or JDK), dumps and markers: nothing else runs on this data folder. */
  private static void deleteOthers(Path folder, Optional<Path> archive) throws IOException {
    for (Path p : list(folder)) {
      if (archive.isEmpty() || !p.equals(archive.get())) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** Called by the registry once ready: the dump this JVM will write at exit is a whole start's. */
  public static void markReady(String dump) {
    try {
      Files.createFile(Path.of(dump + READY));
    } catch (IOException e) {
      // Without the marker the next start dumps again: a lost speed-up, nothing more.
    }
  }

  private static List<Path> list(Path folder) throws IOException {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(folder)) {
      s.forEach(files::add);
    }
    return files;
  }

  static String key(Path jar, List<String> jvmOptions) throws IOException {
    String identity = String.join("\n", jar.toString(), Long.toString(Files.size(jar)),
        Long.toString(Files.getLastModifiedTime(jar).toMillis()), System.getProperty("java.home"),
        System.getProperty("java.vm.version"), String.join(" ", jvmOptions));
    // Not a secret, only a name: CRC-32 and String.hashCode (MessageDigest's providers cost ~30 ms).
    CRC32 crc = new CRC32();
    crc.update(identity.getBytes(StandardCharsets.UTF_8));
    return String.format("%08x%08x", crc.getValue(), identity.hashCode());
  }
}
