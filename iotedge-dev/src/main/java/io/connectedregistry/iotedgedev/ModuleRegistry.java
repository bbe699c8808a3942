package io.connectedregistry.iotedgedev;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The CLI stand-in's module identities, kept in {@code modules.properties} beside the CA (mode
 * 600): a module's key and generation id survive a restart of the stand-in, so a module started
 * with the printed environment keeps working.
 */
final class ModuleRegistry {

  static final String FILE = "modules.properties";

  private ModuleRegistry() {}

  /** The identities for these "device/module" names: kept ones reused, new ones made and kept. */
  static List<ModuleIdentity> load(Path certDir, String hubHostName, List<String> names) throws IOException {
    Path file = certDir.resolve(FILE);
    Properties props = new Properties();
    if (Files.isRegularFile(file)) {
      try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        props.load(r);
      }
    }
    List<ModuleIdentity> ids = new ArrayList<>();
    boolean changed = false;
    for (String name : names) {
      String[] parts = name.split("/", -1);
      if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
        throw new IllegalArgumentException("--module takes DEVICE/MODULE, not " + name);
      }
      String key = props.getProperty(name + ".key");
      String gen = props.getProperty(name + ".generationId");
      if (key == null || gen == null) {
        key = ModuleIdentity.randomKey();
        gen = "gen-" + Long.toHexString(new SecureRandom().nextLong());
        props.setProperty(name + ".key", key);
        props.setProperty(name + ".generationId", gen);
        changed = true;
      }
      ids.add(new ModuleIdentity(hubHostName, parts[0], parts[1], key, gen));
    }
    if (changed) {
      Path tmp = Files.createTempFile(certDir, "modules", ".tmp"); // rw------- on POSIX
      try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        props.store(w, "iotedge-dev module keys: secrets, keep private");
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
    return ids;
  }
}
