package io.connectedregistry.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.zip.CRC32;

/**
 * The AppCDS archive of the registry's classes: it halves the CPU a start needs and keeps the
 * classes' metadata in a mapped file instead of the JVM's metaspace.
 *
 * <p>Made in two steps, so that no server ever carries the cost of making one. A start without
 * an archive only writes the names of the classes it loads ({@code -XX:DumpLoadedClassList}, a
 * line per class: nothing kept in memory) into {@code NAME.PID.classlist}; once ready, the
 * registry adds {@code NAME.PID.classlist.ready} ({@link #markReady}). The next start, before its
 * server's JVM, runs a short JVM that writes a static archive from that list ({@code -Xshare:dump},
 * {@link ArchiveDump}) and keeps it as {@code NAME-SIZE.jsa}. (JDK 17's other way, a dynamic
 * archive written at exit with {@code -XX:ArchiveClassesAtExit}, made the whole first run record:
 * ~350 more method-handle classes and the classes' bytes kept for the dump, +3 MiB at the peak
 * under the benchmark, bench/README.md.) A list from a start that failed before ready (a bad
 * configuration, a locked data folder) is never used.
 *
 * <p>Kept in {@code DATA/jvm/} under a name keyed by the jar (path, size, modification time), the
 * JVM (home, {@code java.vm.version}) and the JVM options, so an upgraded jar or JDK never meets an
 * old archive. Anything else in the folder is deleted. The JVM checks an archive's header and
 * (with {@code -XX:+VerifySharedSpaces}) its checksums and starts without it when they do not
 * match; the size is checked here. A dump that fails leaves {@code NAME.failed} (its output): no
 * more lists are written for that key until someone deletes it. A damaged archive or a failed
 * dump costs the speed-up, never the start.
 *
 * <p>Beside the archive, {@code NAME.options} keeps what picocli read from the server's arguments
 * (the server writes it: {@code ServerOptionsCache}); it is named here so that it is kept.
 */
public final class ClassArchive {
  static final String FOLDER = "jvm";
  private static final String LIST = ".classlist";
  private static final String READY = ".ready";
  private static final String JSA = ".jsa";
  static final String FAILED = ".failed";
  /** What picocli read from the server's arguments (io.connectedregistry.ServerOptionsCache). */
  private static final String SERVER_OPTIONS = ".options";
  /**
   * Writing the archive takes far more memory than a server: the dump from a benchmark run's class
   * list peaked at 212 MiB resident (bench/README.md; the dynamic archive written at exit before
   * it, 223 MiB, was killed in a 192 MiB memory cgroup). Below this limit (a container's, a pod's,
   * a small device's RAM) none is made; an archive already there is still used.
   */
  public static final long DUMP_MIN_MEMORY = 256L << 20;

  /** Writes the archive from a class list: a JVM with {@code -Xshare:dump} ({@link ArchiveDump}). */
  interface Dumper {
    /** The archive written to {@code archive}, or the reason (the dump's output) it was not. */
    Optional<String> dump(Path classList, Path archive) throws IOException;
  }

  private ClassArchive() {}

  /** The JVM options that use the archive in {@code folder} or record a class list for one. */
  static Options options(Path folder, Path jar, List<String> jvmOptions, long pid, OptionalLong memoryLimit) {
    return options(folder, jar, jvmOptions, pid, memoryLimit, new ArchiveDump(jar, jvmOptions));
  }

  /** The JVM options and what the launcher did to make them. */
  record Options(List<String> jvm, OptionalLong dumpMillis) {
    static Options of(String... jvm) {
      return new Options(List.of(jvm), OptionalLong.empty());
    }
  }

  static Options options(Path folder, Path jar, List<String> jvmOptions, long pid, OptionalLong memoryLimit,
      Dumper dumper) {
    try {
      Files.createDirectories(folder);
      String name = "cds-" + key(jar, jvmOptions);
      Path failed = folder.resolve(name + FAILED);
      boolean roomy = memoryLimit.isEmpty() || memoryLimit.getAsLong() >= DUMP_MIN_MEMORY;
      Optional<Path> archive = usable(folder, name);
      OptionalLong dumpMillis = OptionalLong.empty();
      if (archive.isEmpty() && roomy && !Files.exists(failed)) {
        Optional<Path> list = readyList(folder, name);
        if (list.isPresent()) {
          long started = System.nanoTime();
          archive = dump(folder, name, list.get(), pid, dumper, failed);
          dumpMillis = OptionalLong.of((System.nanoTime() - started) / 1_000_000);
        }
      }
      Path serverOptions = folder.resolve(name + SERVER_OPTIONS);
      deleteOthers(folder, archive.isPresent() ? archive : Files.exists(failed) ? Optional.of(failed) : Optional.empty(),
          serverOptions);
      String keepOptions = "-D" + Launcher.SERVER_OPTIONS + "=" + serverOptions;
      if (archive.isPresent()) {
        // The JVM checks the archive's checksums (a damaged archive is then ignored, with a warning).
        return new Options(List.of("-XX:SharedArchiveFile=" + archive.get(), "-XX:+VerifySharedSpaces", keepOptions),
            dumpMillis);
      }
      if (Files.exists(failed)) {
        return Options.of("-D" + Launcher.ARCHIVE_FAILED + "=" + failed, keepOptions);
      }
      if (!roomy) {
        return Options.of("-D" + Launcher.ARCHIVE_SKIPPED + "=" + memoryLimit.getAsLong(), keepOptions);
      }
      Path list = folder.resolve(name + "." + pid + LIST);
      return Options.of("-XX:DumpLoadedClassList=" + list, "-D" + Launcher.PENDING_ARCHIVE + "=" + list, keepOptions);
    } catch (IOException | UncheckedIOException e) {
      return Options.of();
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
        if (MemoryLimit.isNumber(size, 18) && Files.size(p) == Long.parseLong(size)) {
          return Optional.of(p);
        }
      }
    }
    return Optional.empty();
  }

  /** A class list of this key from a start that became ready. */
  private static Optional<Path> readyList(Path folder, String name) throws IOException {
    for (Path p : list(folder)) {
      String file = p.getFileName().toString();
      if (file.startsWith(name + ".") && file.endsWith(LIST) && Files.isRegularFile(folder.resolve(file + READY))
          && Files.size(p) > 0) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /**
   * Writes {@code NAME.PID.jsa.tmp} from the list, syncs it and renames it to {@code NAME-SIZE.jsa};
   * or leaves {@code NAME.failed} with the dump's output.
   */
  private static Optional<Path> dump(Path folder, String name, Path list, long pid, Dumper dumper, Path failed)
      throws IOException {
    completeLines(list);
    Path tmp = folder.resolve(name + "." + pid + JSA + ".tmp");
    Optional<String> failure = dumper.dump(list, tmp);
    if (failure.isEmpty() && Files.isRegularFile(tmp) && Files.size(tmp) > 0) {
      try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.READ)) {
        c.force(true);
      }
      Path archive = folder.resolve(name + "-" + Files.size(tmp) + JSA);
      Files.move(tmp, archive, StandardCopyOption.ATOMIC_MOVE);
      syncFolder(folder);
      return Optional.of(archive);
    }
    Files.writeString(failed, failure.orElse("the dump wrote no archive"), StandardCharsets.UTF_8);
    return Optional.empty();
  }

  /**
   * A JVM killed in the middle of a line leaves half a line at the end of its list, which the dump
   * may refuse as a whole: cut back to the last whole line.
   */
  private static void completeLines(Path list) throws IOException {
    try (FileChannel c = FileChannel.open(list, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long end = c.size();
      ByteBuffer one = ByteBuffer.allocate(1);
      while (end > 0) {
        one.clear();
        c.read(one, end - 1);
        if (one.get(0) == '\n') {
          break;
        }
        end--;
      }
      c.truncate(end);
    }
  }

  private static void syncFolder(Path folder) {
    try (FileChannel d = FileChannel.open(folder, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // Some file systems cannot sync a folder: the rename is still atomic.
    }
  }

  /** Old archives (another jar or JDK), lists and markers: nothing else runs on this data folder. */
  private static void deleteOthers(Path folder, Optional<Path> keep, Path serverOptions) throws IOException {
    for (Path p : list(folder)) {
      if ((keep.isEmpty() || !p.equals(keep.get())) && !p.equals(serverOptions)) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** Called by the registry once ready: the class list this JVM writes is a whole start's. */
  public static void markReady(String classList) {
    try {
      Files.createFile(Path.of(classList + READY));
    } catch (IOException e) {
      // Without the marker the next start records again: a lost speed-up, nothing more.
    }
  }

  private static List<Path> list(Path folder) throws IOException {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(folder)) {
      for (Path p : s) {
        files.add(p);
      }
    }
    return files;
  }

  /** Eight hexadecimal digits, zero-padded (String.format would load its parser: ~10 ms here). */
  private static String hex8(long value) {
    String hex = Long.toHexString(value & 0xffffffffL);
    return "00000000".substring(hex.length()) + hex;
  }

  static String key(Path jar, List<String> jvmOptions) throws IOException {
    String identity = String.join("\n", jar.toString(), Long.toString(Files.size(jar)),
        Long.toString(Files.getLastModifiedTime(jar).toMillis()), System.getProperty("java.home"),
        System.getProperty("java.vm.version"), String.join(" ", jvmOptions));
    // Not a secret, only a name: CRC-32 and String.hashCode (MessageDigest's providers cost ~30 ms).
    CRC32 crc = new CRC32();
    crc.update(identity.getBytes(StandardCharsets.UTF_8));
    return hex8(crc.getValue()) + hex8(identity.hashCode() & 0xffffffffL);
  }
}
