package io.connectedregistry;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * What picocli read from a server's arguments at an earlier start, kept in {@code DATA/jvm} beside
 * the class archive (the launcher names the file: {@code launcher.ClassArchive}). picocli's
 * classes are compiled for Java 5, which JDK 17's class-data archive cannot hold, so reading five
 * options cost every start ~200 ms of class loading (bench/README.md, issue #13, ninth session). A
 * restart with the same arguments takes the answer from here; anything else, or a file that does
 * not hold exactly these arguments, is read by picocli again ({@link ServerArguments}).
 *
 * <p>The file is named per jar, JDK and JVM options, and holds the arguments it answers for. It is
 * a cache: written by rename, never fsynced; a damaged one is read again.
 */
final class ServerOptionsCache {
  private static final String ARGS = "args.";
  private static final String OPTION = "option.";
  /** Far above any real command line's answer; a bigger file is not one of ours and is not read. */
  static final long MAX_BYTES = 64 * 1024;

  private ServerOptionsCache() {}

  /** The options read for exactly {@code args}, if the file holds them whole. */
  static Optional<Map<String, String>> read(Path file, String[] args) {
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      if (Files.size(file) > MAX_BYTES) {
        return Optional.empty();
      }
      p.load(in);
    } catch (IOException | IllegalArgumentException e) {
      return Optional.empty();
    }
    if (!String.valueOf(args.length).equals(p.getProperty(ARGS + "count"))) {
      return Optional.empty();
    }
    for (int i = 0; i < args.length; i++) {
      if (!args[i].equals(p.getProperty(ARGS + i))) {
        return Optional.empty();
      }
    }
    Map<String, String> options = new HashMap<>();
    for (String name : p.stringPropertyNames()) {
      if (name.startsWith(OPTION)) {
        options.put(name.substring(OPTION.length()), p.getProperty(name));
      }
    }
    // The count is written last: a file cut short never passes for a whole one.
    return String.valueOf(options.size()).equals(p.getProperty("options.count")) ? Optional.of(Map.copyOf(options))
        : Optional.empty();
  }

  /** Keeps {@code options} as the answer for {@code args}; a failure only costs the next start the reading. */
  static void write(Path file, String[] args, Map<String, String> options) {
    Properties p = new Properties();
    p.setProperty(ARGS + "count", String.valueOf(args.length));
    for (int i = 0; i < args.length; i++) {
      p.setProperty(ARGS + i, args[i]);
    }
    options.forEach((name, value) -> p.setProperty(OPTION + name, value));
    p.setProperty("options.count", String.valueOf(options.size()));
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      try (OutputStream out = Files.newOutputStream(tmp)) {
        p.store(out, "server options read by picocli (connected-registry ServerOptionsCache)");
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | RuntimeException e) {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // the launcher clears DATA/jvm of what it does not know
      }
    }
  }
}
