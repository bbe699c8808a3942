package io.connectedregistry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.connectedregistry.e2e.support.Command;
import io.connectedregistry.e2e.support.RegistryProcess;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code --version} of the server and of every command prints the version the build gave the jar. */
class VersionTest {

  @ParameterizedTest
  @ValueSource(strings = {"", "gc", "token", "scope-map", "bundle"})
  void versionIsThePomsVersion(String command) {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "a command line of this registry");
    String expected = System.getProperty("registry.version");
    assertNotNull(expected, "the build passes the pom's version as registry.version");

    Command.Result r = command.isEmpty()
        ? RegistryProcess.runJar(30, "--version")
        : RegistryProcess.runJar(30, command, "--version");

    assertEquals(0, r.exitCode(), r::describe);
    assertEquals(expected, r.stdout().strip(), r::describe);
  }
}
