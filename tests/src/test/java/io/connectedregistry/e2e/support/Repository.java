package io.connectedregistry.e2e.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Files of the repository itself (Dockerfiles, deployment manifests) and the shared schemas. */
public final class Repository {

  private Repository() {}

  /** The top of the repository: the tests module's parent folder. */
  public static Path root() {
    String basedir = System.getProperty("basedir", Paths.get("").toAbsolutePath().toString());
    Path root = Paths.get(basedir).toAbsolutePath().normalize().getParent();
    if (!Files.isRegularFile(root.resolve("pom.xml")) || !Files.isDirectory(root.resolve("module"))) {
      throw new AssertionError("not the top of the repository: " + root);
    }
    return root;
  }

  public static Path file(String relative) {
    Path p = root().resolve(relative);
    if (!Files.exists(p)) {
      throw new AssertionError("missing from the repository: " + relative);
    }
    return p;
  }

  /**
   * The public IoT Edge deployment schemas, in the shared folder beside the shared tools
   * ({@code -Dshared.tools}: {@code ../shared/tools} in CI, the /work/wt/shared link in a worktree).
   */
  public static Path iotEdgeSchemas() {
    Path schemas = Workspace.sharedTools().resolveSibling("schemas").resolve("iot-edge");
    if (!Files.isRegularFile(schemas.resolve("azure-iot-edge-deployment-2.0.json"))) {
      throw new AssertionError("IoT Edge schemas missing: " + schemas + " (set -Dshared.tools)");
    }
    return schemas;
  }
}
