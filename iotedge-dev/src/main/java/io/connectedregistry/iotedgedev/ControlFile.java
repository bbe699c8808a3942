package io.connectedregistry.iotedgedev;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Where a running stand-in tells its CLI clients how to reach its control API: {"url","token"},
 * readable by the user only, removed when the stand-in stops.
 */
record ControlFile(String url, String token) {

  static Path defaultPath() {
    return Path.of(System.getProperty("user.home"), ".iotedge-dev", "control.json");
  }

  void write(Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "control", ".tmp"); // created rw------- on POSIX
    try {
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException ignored) {
      // not POSIX: the home folder's permissions protect it
    }
    String json = JsonNodeFactory.instance.objectNode().put("url", url).put("token", token).toString();
    Files.writeString(tmp, json, StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  static ControlFile read(Path file) throws IOException {
    try {
      JsonNode node = new ObjectMapper().readTree(Files.readString(file, StandardCharsets.UTF_8));
      return new ControlFile(node.path("url").asText(), node.path("token").asText());
    } catch (NoSuchFileException e) {
      throw new IOException("no stand-in is running (" + file + " is missing): start one with `hub`");
    }
  }
}
