package io.connectedregistry.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files in {@code DATA/jvm} from start to start. The dump itself is a JVM ({@link ArchiveDump});
 * here a stand-in writes the archive's bytes, and the e2e {@code LauncherTest} runs the real one.
 */
class ClassArchiveTest {
  private static final List<String> OPTS = List.of("-XX:+UseSerialGC");
  private static final OptionalLong NO_LIMIT = OptionalLong.empty();

  @TempDir Path dir;

  /** What the stand-in dumper was given, and what it wrote. */
  private final List<String> listsDumped = new ArrayList<>();

  private final ClassArchive.Dumper writes1000Bytes = (list, archive) -> {
    listsDumped.add(Files.readString(list));
    Files.write(archive, new byte[1000]);
    return Optional.empty();
  };

  @Test
  void aStartWithoutArchiveRecordsItsClassesAndTheNextStartMakesTheArchiveFromThem() throws IOException {
    Path jar = Files.writeString(dir.resolve("r.jar"), "jar");
    Path folder = dir.resolve("jvm");
    List<String> first = options(folder, jar, 42).jvm();
    String list = value(first, "-XX:DumpLoadedClassList=");
    assertTrue(list.endsWith(".42.classlist"), list);
    assertEquals(list, value(first, "-D" + Launcher.PENDING_ARCHIVE + "="));
    assertTrue(first.stream().noneMatch(o -> o.startsWith("-XX:ArchiveClassesAtExit")), "nothing recorded in memory");

    // the JVM writes a line per class as it loads it; killed mid-line, half a line is left
    Files.writeString(Path.of(list), "java/lang/Object id: 0\nio/connectedregistry/Main\nio/connectedreg");
    ClassArchive.markReady(list);

    ClassArchive.Options second = options(folder, jar, 43);
    String archive = value(second.jvm(), "-XX:SharedArchiveFile=");
    assertTrue(archive.endsWith("-1000.jsa"), archive);
    assertTrue(second.jvm().contains("-XX:+VerifySharedSpaces"), second.toString());
    assertTrue(second.dumpMillis().isPresent(), "the start that made it says how long it took");
    assertEquals(List.of("java/lang/Object id: 0\nio/connectedregistry/Main\n"), listsDumped, "whole lines only");
    assertEquals(List.of(Path.of(archive).getFileName().toString()), names(folder), "the list is gone");

    ClassArchive.Options third = options(folder, jar, 44);
    assertEquals(second.jvm(), third.jvm());
    assertTrue(third.dumpMillis().isEmpty());
    assertEquals(1, listsDumped.size(), "made once");
  }

  /** Making an archive peaks at ~210 MiB: under 256 MiB none is made, one made before is used. */
  @Test
  void noArchiveIsMadeUnderASmallMemoryLimitButOneThereIsStillUsed() throws IOException {
    Path jar = Files.writeString(dir.resolve("r.jar"), "jar");
    Path folder = dir.resolve("jvm");
    OptionalLong pod = OptionalLong.of(192L << 20);
    assertEquals("-D" + Launcher.ARCHIVE_SKIPPED + "=" + (192L << 20), options(folder, jar, 42, pod).jvm().get(0));
    assertEquals(List.of(), names(folder));

    String list = value(options(folder, jar, 43, OptionalLong.of(ClassArchive.DUMP_MIN_MEMORY)).jvm(),
        "-XX:DumpLoadedClassList=");
    Files.writeString(Path.of(list), "java/lang/Object\n");
    ClassArchive.markReady(list);
    assertEquals("-D" + Launcher.ARCHIVE_SKIPPED + "=" + (192L << 20), options(folder, jar, 44, pod).jvm().get(0),
        "a list is not turned into an archive under the limit");
    assertEquals(List.of(), listsDumped);

    list = value(options(folder, jar, 45, NO_LIMIT).jvm(), "-XX:DumpLoadedClassList=");
    Files.writeString(Path.of(list), "java/lang/Object\n");
    ClassArchive.markReady(list);
    assertTrue(value(options(folder, jar, 46, NO_LIMIT).jvm(), "-XX:SharedArchiveFile=").endsWith("-1000.jsa"));
    assertTrue(value(options(folder, jar, 47, pod).jvm(), "-XX:SharedArchiveFile=").endsWith("-1000.jsa"));
  }

  @Test
  void aListFromAStartThatNeverBecameReadyIsDiscarded() throws IOException {
    Path jar = Files.writeString(dir.resolve("r.jar"), "jar");
    Path folder = dir.resolve("jvm");
    String list = value(options(folder, jar, 42).jvm(), "-XX:DumpLoadedClassList=");
    Files.writeString(Path.of(list), "java/lang/Object\n");
    List<String> next = options(folder, jar, 43).jvm();
    assertTrue(value(next, "-XX:DumpLoadedClassList=").endsWith(".43.classlist"), next.toString());
    assertEquals(List.of(), names(folder));
    assertEquals(List.of(), listsDumped);
  }

  /** JDK 17 dies of SIGBUS on a truncated archive: one whose size is not its name's is deleted. */
  @Test
  void aTruncatedArchiveIsDeletedAndRecordedAgain() throws IOException {
    Path jar = Files.writeString(dir.resolve("r.jar"), "jar");
    Path folder = dir.resolve("jvm");
    String list = value(options(folder, jar, 42).jvm(), "-XX:DumpLoadedClassList=");
    Files.writeString(Path.of(list), "java/lang/Object\n");
    ClassArchive.markReady(list);
    Path archive = Path.of(value(options(folder, jar, 43).jvm(), "-XX:SharedArchiveFile="));
    Files.write(archive, new byte[999]);
    List<String> next = options(folder, jar, 44).jvm();
    assertTrue(value(next, "-XX:DumpLoadedClassList=").endsWith(".44.classlist"), next.toString());
    assertEquals(List.of(), names(folder));
  }

  /** A dump that fails would fail again at every start, each costing seconds: once is enough. */
  @Test
  void aFailedDumpIsKeptWithItsReasonAndNotTriedAgainUntilItIsDeleted() throws IOException {
    Path jar = Files.writeString(dir.resolve("r.jar"), "jar");
    Path folder = dir.resolve("jvm");
    ClassArchive.Dumper fails = (list, archive) -> {
      listsDumped.add(Files.readString(list));
      Files.write(archive, new byte[10]); // a half-written archive of a failed dump is never used
      return Optional.of("exit 1: class list format error.");
    };
    String list = value(options(folder, jar, 42).jvm(), "-XX:DumpLoadedClassList=");
    Files.writeString(Path.of(list), "@lambda-proxy x/Y\n");
    ClassArchive.markReady(list);

    List<String> second = ClassArchive.options(folder, jar, OPTS, 43, NO_LIMIT, fails).jvm();
    Path failed = Path.of(value(second, "-D" + Launcher.ARCHIVE_FAILED + "="));
    assertEquals("exit 1: class list format error.", Files.readString(failed));
    assertTrue(second.stream().noneMatch(o -> o.startsWith("-XX:")), second.toString());
    assertEquals(List.of(failed.getFileName().toString()), names(folder));

    assertEquals(second, ClassArchive.options(folder, jar, OPTS, 44, NO_LIMIT, fails).jvm(), "no list, no dump");
    assertEquals(1, listsDumped.size());

    Files.delete(failed);
    assertTrue(value(options(folder, jar, 45).jvm(), "-XX:DumpLoadedClassList=").endsWith(".45.classlist"));
  }

  /** The server keeps what picocli read from its arguments beside the archive (ServerOptionsCache): kept, per key. */
  @Test
  void theServersOptionsFileIsNamedPerKeyAndKept() throws IOException {
    Path jar = Files.writeString(dir.resolve("r.jar"), "jar");
    Path folder = dir.resolve("jvm");
    Path file = Path.of(value(options(folder, jar, 42).jvm(), "-D" + Launcher.SERVER_OPTIONS + "="));
    assertEquals(folder, file.getParent());
    Files.writeString(file, "args.count=0\n");
    Files.writeString(folder.resolve("stranger"), "x");
    List<String> next = options(folder, jar, 43).jvm();
    assertEquals(file.toString(), value(next, "-D" + Launcher.SERVER_OPTIONS + "="));
    assertTrue(Files.exists(file), "kept from start to start");
    assertTrue(!Files.exists(folder.resolve("stranger")));
    Path other = Path.of(value(ClassArchive.options(folder, jar, List.of("-Xmx24m"), 44, NO_LIMIT, writes1000Bytes).jvm(),
        "-D" + Launcher.SERVER_OPTIONS + "="));
    assertTrue(!other.equals(file), "other JVM options, another file");
    assertTrue(!Files.exists(file), "an old key's file goes with its archive");
  }

  @Test
  void anotherJarOrOtherOptionsGetAnotherArchive() throws IOException {
    Path jar = Files.writeString(dir.resolve("r.jar"), "jar");
    String key = ClassArchive.key(jar, OPTS);
    assertTrue(!key.equals(ClassArchive.key(jar, List.of("-Xmx24m"))));
    Files.writeString(jar, "jar2");
    assertTrue(!key.equals(ClassArchive.key(jar, OPTS)));
  }

  @Test
  void anUnusableFolderMeansNoArchive() throws IOException {
    Path jar = Files.writeString(dir.resolve("r.jar"), "jar");
    Path file = Files.writeString(dir.resolve("not-a-folder"), "x");
    assertEquals(List.of(), options(file.resolve("jvm"), jar, 42).jvm());
  }

  /** The archive must match the server's class path and options to be used: the same ones, then the dump's. */
  @Test
  void theDumpRunsThisJdkWithTheServersOptionsAndClassPath() {
    Path jar = dir.resolve("r.jar");
    List<String> command = new ArchiveDump(jar, List.of("-XX:+UseSerialGC", "-Xmx24m"))
        .command(dir.resolve("a.classlist"), dir.resolve("a.jsa"));
    assertEquals(Path.of(System.getProperty("java.home"), "bin", "java").toString(), command.get(0));
    assertEquals(List.of("-XX:+UseSerialGC", "-Xmx24m"), command.subList(1, 3));
    assertTrue(command.containsAll(List.of("-Xshare:dump", "-XX:SharedClassListFile=" + dir.resolve("a.classlist"),
        "-XX:SharedArchiveFile=" + dir.resolve("a.jsa"))), command.toString());
    assertEquals(List.of("-cp", jar.toString()), command.subList(command.size() - 2, command.size()));
  }

  private ClassArchive.Options options(Path folder, Path jar, long pid) {
    return options(folder, jar, pid, NO_LIMIT);
  }

  private ClassArchive.Options options(Path folder, Path jar, long pid, OptionalLong limit) {
    return ClassArchive.options(folder, jar, OPTS, pid, limit, writes1000Bytes);
  }

  private static String value(List<String> options, String prefix) {
    return options.stream().filter(o -> o.startsWith(prefix)).map(o -> o.substring(prefix.length()))
        .findFirst().orElseThrow(() -> new AssertionError(prefix + " not in " + options));
  }

  private static List<String> names(Path folder) throws IOException {
    try (Stream<Path> s = Files.list(folder)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
