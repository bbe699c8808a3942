package io.connectedregistry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.launcher.Launcher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerOptionsCacheTest {
  private static final String[] ARGS = {"--listen", "127.0.0.1:5000", "--data=/tmp/a b", "--mode", "ReadOnly"};

  @TempDir Path dir;

  @AfterEach
  void clear() {
    System.clearProperty(Launcher.SERVER_OPTIONS);
  }

  @Test
  void theFirstStartWritesWhatPicocliReadAndARestartWithTheSameArgumentsReadsIt() throws IOException {
    Path file = dir.resolve("cds-x.options");
    System.setProperty(Launcher.SERVER_OPTIONS, file.toString());
    Optional<Map<String, String>> first = ServerArguments.read(ARGS);
    assertEquals(Optional.of(Main.serverOptions(ARGS)), first);
    assertTrue(Files.exists(file), "written for the next start");
    assertEquals(first, ServerOptionsCache.read(file, ARGS));

    // proof that the restart takes the file's answer, not picocli's: a file saying something else
    ServerOptionsCache.write(file, ARGS, Map.of("listen", "127.0.0.1:6000"));
    assertEquals(Optional.of(Map.of("listen", "127.0.0.1:6000")), ServerArguments.read(ARGS));
  }

  @Test
  void otherArgumentsAreReadByPicocliAgainAndReplaceTheFile() {
    Path file = dir.resolve("cds-x.options");
    System.setProperty(Launcher.SERVER_OPTIONS, file.toString());
    ServerArguments.read(ARGS);
    String[] other = {"--listen", "127.0.0.1:5000", "--data=/tmp/a b", "--mode", "ReadWrite"};
    assertEquals(Optional.empty(), ServerOptionsCache.read(file, other));
    assertEquals("ReadWrite", ServerArguments.read(other).orElseThrow().get("mode"));
    assertEquals(Optional.empty(), ServerOptionsCache.read(file, ARGS));
    assertEquals(Optional.empty(), ServerOptionsCache.read(file, new String[] {"--listen", "127.0.0.1:5000"}));
  }

  @Test
  void aFileCutShortOrDamagedOrMissingIsNotAnAnswer() throws IOException {
    Path file = dir.resolve("cds-x.options");
    assertEquals(Optional.empty(), ServerOptionsCache.read(file, ARGS));
    ServerOptionsCache.write(file, ARGS, Main.serverOptions(ARGS));
    List<String> lines = Files.readAllLines(file);
    Files.write(file, lines.stream().filter(l -> !l.startsWith("options.count")).toList());
    assertEquals(Optional.empty(), ServerOptionsCache.read(file, ARGS), "no count: cut short");
    Files.write(file, new byte[] {'a', 'r', 'g', 's', '.', '\\', 'u', 'z'});
    assertEquals(Optional.empty(), ServerOptionsCache.read(file, ARGS), "not a properties file");
    ServerOptionsCache.write(file, ARGS, Main.serverOptions(ARGS));
    Files.writeString(file, "#" + "x".repeat((int) ServerOptionsCache.MAX_BYTES) + "\n",
        java.nio.file.StandardOpenOption.APPEND);
    assertEquals(Optional.empty(), ServerOptionsCache.read(file, ARGS), "over the bound: not read");
  }

  @Test
  void subcommandsAndMistakesAreNeverKept() {
    Path file = dir.resolve("cds-x.options");
    System.setProperty(Launcher.SERVER_OPTIONS, file.toString());
    assertEquals(Optional.empty(), ServerArguments.read(new String[] {"gc", "--data", "d"}));
    assertEquals(Optional.empty(), ServerArguments.read(new String[] {"--nope"}));
    assertTrue(!Files.exists(file));
  }
}
