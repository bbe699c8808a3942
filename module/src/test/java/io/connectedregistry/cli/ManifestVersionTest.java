package io.connectedregistry.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ManifestVersionTest {

  @Test
  void classesRunOutsideTheJarReportADevelopmentVersion() {
    // Tests run from target/classes, which has no manifest: the built jar is covered by e2e VersionTest.
    assertEquals("dev", ManifestVersion.get());
    assertArrayEquals(new String[] {"dev"}, new ManifestVersion().getVersion());
  }
}
