package io.connectedregistry.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFileTest {
  @TempDir Path data;

  @Test
  void aWriteThatFailsHalfWayLeavesTheOldContentAndNoTemporaryFile() throws Exception {
    Path file = data.resolve("state.json");
    AtomicFile.write(file, "old".getBytes(UTF_8));

    IOException failure = assertThrows(IOException.class, () -> AtomicFile.write(file, null, out -> {
      out.write("half of the new cont".getBytes(UTF_8));
      throw new IOException("disk full");
    }));

    assertEquals("disk full", failure.getMessage());
    assertEquals("old", Files.readString(file));
    assertFalse(Files.exists(temp(file)), "the failed write's temporary file is removed");
  }

  @Test
  void aWriteThatCannotRenameLeavesTheOldContentAndNoTemporaryFile() throws Exception {
    Path file = data.resolve("state.json");
    Files.createDirectory(file);
    Files.writeString(file.resolve("inside"), "old");

    assertThrows(IOException.class, () -> AtomicFile.write(file, "new".getBytes(UTF_8)));

    assertEquals("old", Files.readString(file.resolve("inside")));
    assertFalse(Files.exists(temp(file)), "the failed write's temporary file is removed");
  }

  @Test
  void aFolderInTheTemporaryFilesPlaceFailsTheWriteAndIsLeftAlone() throws Exception {
    Path file = data.resolve("state.json");
    AtomicFile.write(file, "old".getBytes(UTF_8));
    Files.createDirectory(temp(file));

    assertThrows(IOException.class, () -> AtomicFile.write(file, "new".getBytes(UTF_8)));

    assertEquals("old", Files.readString(file));
    assertTrue(Files.isDirectory(temp(file)), "what is not ours is not deleted");
  }

  @Test
  void theNewFileIsCompleteAfterAWrite() throws Exception {
    Path file = data.resolve("state.json");
    AtomicFile.write(file, "old content, longer than the new one".getBytes(UTF_8));
    byte[] large = "0123456789abcdef".repeat(64 * 1024).getBytes(UTF_8);

    AtomicFile.write(file, large);
    assertEquals(new String(large, UTF_8), Files.readString(file));

    AtomicFile.write(file, "new".getBytes(UTF_8));
    assertEquals("new", Files.readString(file), "nothing of the old content is left at the end");
    assertFalse(Files.exists(temp(file)));
  }

  @Test
  void aTemporaryFileLeftByACrashIsReplaced() throws Exception {
    Path file = data.resolve("token.key");
    Files.writeString(temp(file), "left by a crash, world-readable");
    Files.setPosixFilePermissions(temp(file), PosixFilePermissions.fromString("rw-r--r--"));

    AtomicFile.writePrivate(file, "secret".getBytes(UTF_8));

    assertEquals("secret", Files.readString(file));
    assertEquals("rw-------", mode(file));
  }

  @Test
  void aPrivateFileIsOwnerOnlyBeforeItsFirstByte() throws Exception {
    Path file = data.resolve("token.key");
    AtomicReference<String> modeWhenWritingBegan = new AtomicReference<>();

    assertThrows(IOException.class, () -> AtomicFile.write(file,
        PosixFilePermissions.fromString("rw-------"), out -> {
          modeWhenWritingBegan.set(mode(temp(file)));
          throw new IOException("stop after creating the file");
        }));

    assertEquals("rw-------", modeWhenWritingBegan.get());
    assertFalse(Files.exists(file), "a failed first write leaves no file");

    AtomicFile.writePrivate(file, "secret".getBytes(UTF_8));
    assertEquals("rw-------", mode(file));
    assertEquals("secret", Files.readString(file));
  }

  private static Path temp(Path file) {
    return file.resolveSibling(file.getFileName() + ".tmp");
  }

  private static String mode(Path file) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
  }
}
