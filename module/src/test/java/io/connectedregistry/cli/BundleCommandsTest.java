package io.connectedregistry.cli;

import io.connectedregistry.CommandLineRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.connectedregistry.Main;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.ManifestParser;
import io.connectedregistry.storage.LocalRegistryStorage;
import io.connectedregistry.storage.UploadHandle;
import io.connectedregistry.storage.UploadStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code connected-registry bundle export}: its exit codes, messages and output streams. */
class BundleCommandsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path data;
  @TempDir Path out;
  private long cursor;


  @BeforeEach
  void aStoreWithOneImage() throws Exception {
    try (LocalRegistryStorage storage = LocalRegistryStorage.open(data, LocalRegistryStorage.Options.defaults())) {
      byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
      Digest digest = Digest.sha256(config);
      UploadStatus upload = storage.startUpload("factory/app");
      try (UploadHandle h = storage.openUpload("factory/app", upload.id())) {
        h.append(ByteBuffer.wrap(config));
        storage.commitUpload(h, digest);
      }
      String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
          + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + digest
          + "\",\"size\":2},\"layers\":[]}";
      storage.putManifest("factory/app",
          ManifestParser.parse(manifest.getBytes(StandardCharsets.UTF_8), null, "sha256"), "v1");
      cursor = storage.lastChangeSequence();
    }
  }

  private CommandLineRun run(String... args) {
    List<String> all = new ArrayList<>(List.of("bundle", "export"));
    all.addAll(List.of(args));
    if (!all.contains("--data")) {
      all.addAll(List.of("--data", data.toString()));
    }
    return CommandLineRun.of(all.toArray(String[]::new));
  }

  @Test
  void export_writesTheFile_andPrintsItsSummaryWithTheCursor() throws Exception {
    Path file = out.resolve("app.tar.zst");
    CommandLineRun run = run("--repository", "factory/app", "-o", file.toString());
    assertEquals(0, run.exit(), run.err());
    JsonNode summary = JSON.readTree(run.bytes());
    assertEquals(file.toString(), summary.get("file").asText());
    assertEquals(cursor, summary.get("cursor").asLong());
    assertEquals(1, summary.get("images").asInt());
    assertTrue(Files.size(file) > 0);
    assertEquals("", run.err(), "quiet when not on a terminal");
  }

  @Test
  void exportToStdout_writesOnlyTheBundleThere() throws Exception {
    CommandLineRun run = run("--repository", "factory/app", "-o", "-");
    assertEquals(0, run.exit(), run.err());
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new java.io.ByteArrayInputStream(run.bytes()))) {
      assertEquals("oci-layout", tar.getNextEntry().getName());
    }
  }

  @Test
  void forcedProgress_goesToStderr_neverStdout() throws Exception {
    CommandLineRun run = run("--repository", "factory/app", "-o", "-", "--progress");
    assertEquals(0, run.exit(), run.err());
    assertTrue(run.err().contains("Export"), run.err());
    assertTrue(run.err().contains("1/1 images"), run.err());
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new java.io.ByteArrayInputStream(run.bytes()))) {
      assertEquals("oci-layout", tar.getNextEntry().getName());
    }
  }

  @Test
  void aClosedStdout_exits1_ratherThanPretendingTheBundleWasWritten() {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(new java.io.OutputStream() {
        @Override
        public void write(int b) throws java.io.IOException {
          throw new java.io.IOException("Broken pipe");
        }
      }));
      System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
      int exit = Main.commandLine().execute("bundle", "export", "--data", data.toString(),
          "--repository", "factory/app", "-o", "-");
      assertEquals(1, exit);
      assertTrue(stderr.toString(StandardCharsets.UTF_8).contains("writing the bundle to stdout failed"),
          stderr.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @Test
  void unknownRepository_exits2_namingIt_withoutAFile() {
    Path file = out.resolve("app.tar");
    CommandLineRun run = run("--repository", "factory/app", "--repository", "factory/missing", "-o", file.toString());
    assertEquals(2, run.exit());
    assertTrue(run.err().contains("repository factory/missing does not exist in "), run.err());
    assertEquals("", run.out());
    assertFalse(Files.exists(file));
  }

  @Test
  void badOutputName_exits2() {
    CommandLineRun run = run("--repository", "factory/app", "-o", out.resolve("app.zip").toString());
    assertEquals(2, run.exit());
    assertTrue(run.err().contains("must end in .tar, .tar.gz or .tar.zst"), run.err());
  }

  @Test
  void missingDataFolder_exits1_namingIt() {
    CommandLineRun run = run("--repository", "factory/app", "--data", out.resolve("none").toString(), "-o",
        out.resolve("a.tar").toString());
    assertEquals(1, run.exit());
    assertTrue(run.err().contains("metadata.db is missing"), run.err());
  }
}
