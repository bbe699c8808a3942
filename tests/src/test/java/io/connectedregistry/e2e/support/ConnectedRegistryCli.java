package io.connectedregistry.e2e.support;

import com.fasterxml.jackson.databind.JsonNode;
import io.connectedregistry.e2e.support.AuthSupport.Credentials;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The built jar's {@code cr} commands against a root: offline on its data folder, online through its admin API. */
public final class ConnectedRegistryCli {

  /** Where {@code cr --server} takes the admin token's password from (never an argument). */
  public static final String PASSWORD_VARIABLE = "CONNECTED_REGISTRY_PASSWORD";

  private ConnectedRegistryCli() {}

  public static Command.Result offline(RegistryProcess root, String... args) {
    List<String> all = new ArrayList<>(List.of("cr"));
    all.addAll(List.of(args));
    all.add("--data");
    all.add(root.dataDir().toString());
    return RegistryProcess.runJar(60, all.toArray(String[]::new));
  }

  public static Command.Result online(RegistryProcess root, Credentials admin, String... args) {
    List<String> all = new ArrayList<>(List.of("cr"));
    all.addAll(List.of(args));
    all.addAll(List.of("--server", "http://" + root.hostPort(), "--username", admin.name()));
    return RegistryProcess.runJar(60, Map.of(PASSWORD_VARIABLE, admin.password()),
        all.toArray(String[]::new));
  }

  /** The command's JSON output, after checking it succeeded. */
  public static JsonNode json(Command.Result r) {
    r.assertOk();
    return ImageTools.readJson(r.stdout());
  }
}
