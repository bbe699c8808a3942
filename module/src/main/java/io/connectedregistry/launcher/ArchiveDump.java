package io.connectedregistry.launcher;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Writes a static AppCDS archive from a class list: {@code java -Xshare:dump} with the server's
 * own JVM options and class path, which the archive must match to be used. Run by the launcher
 * before it execs the server's JVM, so its memory (~210 MiB resident for a benchmark run's list)
 * is given back before the server takes any.
 */
final class ArchiveDump implements ClassArchive.Dumper {
  /** A dump of ~5,000 classes takes ~3 s on two x86 cores; a slow ARM board gets plenty more. */
  static final long LIMIT_SECONDS = 180;
  /** How much of the dump's output a failure keeps (its last lines say why). */
  private static final int KEPT_OUTPUT = 8192;

  private final Path jar;
  private final List<String> jvmOptions;

  ArchiveDump(Path jar, List<String> jvmOptions) {
    this.jar = jar;
    this.jvmOptions = List.copyOf(jvmOptions);
  }

  List<String> command(Path classList, Path archive) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    // The dump needs more heap than a small-device server's 24 MiB (it loads every class at once);
    // no heap objects are archived with the serial collector, so the heap size is not part of
    // what must match.
    command.addAll(List.of("-Xmx128m", "-Xshare:dump", "-XX:SharedClassListFile=" + classList,
        "-XX:SharedArchiveFile=" + archive, "-XX:+VerifySharedSpaces", "-cp", jar.toString()));
    return command;
  }

  @Override
  public Optional<String> dump(Path classList, Path archive) throws IOException {
    Path output = archive.resolveSibling(archive.getFileName() + ".log");
    ProcessBuilder builder = new ProcessBuilder(command(classList, archive))
        .redirectErrorStream(true).redirectOutput(output.toFile());
    // The options are already on the command line; a second copy from the environment would be
    // read by the dump's java launcher too.
    builder.environment().remove("JDK_JAVA_OPTIONS");
    builder.environment().putIfAbsent("MALLOC_ARENA_MAX", "2");
    Process process = builder.start();
    try {
      if (!process.waitFor(LIMIT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
        return Optional.of("no archive after " + LIMIT_SECONDS + " s: " + String.join(" ", builder.command())
            + "\n" + tail(output));
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      return Optional.of("interrupted");
    } finally {
      if (process.isAlive()) {
        process.destroyForcibly();
      }
    }
    String said = tail(output);
    Files.deleteIfExists(output);
    return process.exitValue() == 0 ? Optional.empty()
        : Optional.of("exit " + process.exitValue() + ": " + String.join(" ", builder.command()) + "\n" + said);
  }

  private static String tail(Path output) throws IOException {
    if (!Files.exists(output)) {
      return "";
    }
    try (RandomAccessFile f = new RandomAccessFile(output.toFile(), "r")) {
      long from = Math.max(0, f.length() - KEPT_OUTPUT);
      byte[] bytes = new byte[(int) (f.length() - from)];
      f.seek(from);
      f.readFully(bytes);
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }
}
