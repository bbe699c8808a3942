package io.connectedregistry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.e2e.support.Repository;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Dockerfile.arm64v8 is Dockerfile.amd64 with the architecture named differently, and nothing
 * else: the same lines in the same order, except the architecture lines, where it says arm64v8
 * for amd64 and pulls from docker.io/arm64v8/ for docker.io/library/. The architecture lines
 * are the title comment, the build command comment, and the BUILD_IMAGE / BASE_IMAGE defaults.
 */
class DockerfileTest {

  private static final Pattern ARCHITECTURE_LINE = Pattern.compile(
      "# Connected registry, amd64:.*|#\\s+docker build -f Dockerfile\\.amd64 .*|ARG (BUILD|BASE)_IMAGE=.*");

  @Test
  void arm64v8IsAmd64ExceptForItsArchitectureLines() throws IOException {
    List<String> amd64 = Files.readAllLines(Repository.file("Dockerfile.amd64"));
    List<String> arm64 = Files.readAllLines(Repository.file("Dockerfile.arm64v8"));

    assertEquals(List.of(), differences(amd64, arm64));
  }

  @Test
  void aDifferenceOutsideTheArchitectureLinesIsFound() throws IOException {
    List<String> amd64 = Files.readAllLines(Repository.file("Dockerfile.amd64"));
    List<String> arm64 = new ArrayList<>(Files.readAllLines(Repository.file("Dockerfile.arm64v8")));
    arm64.replaceAll(l -> l.replace("EXPOSE 8080", "EXPOSE 8081"));
    List<String> baseNotArm = new ArrayList<>(Files.readAllLines(Repository.file("Dockerfile.arm64v8")));
    baseNotArm.replaceAll(l -> l.startsWith("ARG BASE_IMAGE=") ? l.replace("arm64v8/", "library/") : l);

    assertTrue(differences(amd64, arm64).stream().anyMatch(d -> d.contains("EXPOSE 8081")),
        differences(amd64, arm64)::toString);
    assertTrue(differences(amd64, baseNotArm).stream().anyMatch(d -> d.contains("ARG BASE_IMAGE")),
        differences(amd64, baseNotArm)::toString);
  }

  @Test
  void bothNameTheirBaseImagesByBuildArguments() throws IOException {
    for (String file : List.of("Dockerfile.amd64", "Dockerfile.arm64v8")) {
      String text = Files.readString(Repository.file(file));
      assertTrue(text.contains("\nFROM ${BUILD_IMAGE} AS build\n"), file);
      assertTrue(text.contains("\nFROM ${BASE_IMAGE}\n"), file);
    }
  }

  /** Where arm64 is not amd64 with the architecture swapped, line by line. */
  private static List<String> differences(List<String> amd64, List<String> arm64) {
    List<String> out = new ArrayList<>();
    if (amd64.size() != arm64.size()) {
      out.add("line counts differ: amd64 " + amd64.size() + ", arm64v8 " + arm64.size());
    }
    for (int i = 0; i < Math.min(amd64.size(), arm64.size()); i++) {
      String a = amd64.get(i);
      String b = arm64.get(i);
      boolean architecture = ARCHITECTURE_LINE.matcher(a).matches();
      String expected = architecture
          ? a.replace("docker.io/library/", "docker.io/arm64v8/").replace("amd64", "arm64v8")
          : a;
      if (!expected.equals(b)) {
        out.add("line " + (i + 1) + (architecture ? " (an architecture line)" : "") + ": expected '"
            + expected + "', found '" + b + "'");
      }
    }
    return out;
  }
}
