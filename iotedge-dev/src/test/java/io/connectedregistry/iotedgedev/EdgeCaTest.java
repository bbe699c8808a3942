package io.connectedregistry.iotedgedev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EdgeCaTest {

  @TempDir Path tmp;

  private static List<X509Certificate> certs(Path pem) throws Exception {
    try (InputStream in = Files.newInputStream(pem)) {
      return CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
          .map(c -> (X509Certificate) c).collect(Collectors.toList());
    }
  }

  /** The server certificate is signed by ca.pem, names 127.0.0.1 and localhost, and the chain ends with the CA. */
  private static void assertServerIssuedBy(EdgeCa ca) throws Exception {
    X509Certificate caCert = certs(ca.caCert()).get(0);
    List<X509Certificate> chain = certs(ca.serverCertChain());
    chain.get(0).verify(caCert.getPublicKey());
    assertEquals(caCert, chain.get(1));
    String names = chain.get(0).getSubjectAlternativeNames().toString();
    assertTrue(names.contains("127.0.0.1") && names.contains("localhost"), names);
  }

  @Test
  void anEmptyFolderGetsACaAndAServerCertificateItSigned() throws Exception {
    assertServerIssuedBy(EdgeCa.inFolder(tmp.resolve("certs")));
  }

  @Test
  void aFolderWithOnlyACaGetsAServerCertificateFromThatCa() throws Exception {
    EdgeCa first = EdgeCa.inFolder(tmp.resolve("first"));
    Path given = Files.createDirectories(tmp.resolve("given"));
    Files.copy(first.caCert(), given.resolve(EdgeCa.CA));
    Files.copy(tmp.resolve("first").resolve(EdgeCa.CA_KEY), given.resolve(EdgeCa.CA_KEY));

    EdgeCa ca = EdgeCa.inFolder(given);
    assertEquals(Files.readString(first.caCert()), ca.caPem(), "the given CA is kept");
    assertServerIssuedBy(ca);
  }

  @Test
  void aCaMadeWithOpensslInRsaOrEcFormIsUsed() throws Exception {
    assumeTrue(run(List.of("openssl", "version"), tmp), "openssl is not installed");
    for (String[] key : List.of(new String[] {"rsa", "-newkey", "rsa:2048"},
        new String[] {"ec", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"})) {
      Path dir = Files.createDirectories(tmp.resolve(key[0]));
      List<String> cmd = new java.util.ArrayList<>(List.of("openssl", "req", "-x509", "-nodes", "-days", "2",
          "-subj", "/CN=my edge CA", "-keyout", EdgeCa.CA_KEY, "-out", EdgeCa.CA,
          "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"));
      cmd.addAll(List.of(key).subList(1, key.length));
      assertTrue(run(cmd, dir), "openssl req failed for " + key[0]);
      assertServerIssuedBy(EdgeCa.inFolder(dir));
    }
  }

  @Test
  void anIncompleteFolderIsRefusedAndNothingIsOverwritten() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("partial"));
    Files.writeString(dir.resolve(EdgeCa.SERVER), "mine");
    IOException e = assertThrows(IOException.class, () -> EdgeCa.inFolder(dir));
    assertTrue(e.getMessage().contains("incomplete certificate folder"), e.getMessage());
    assertEquals("mine", Files.readString(dir.resolve(EdgeCa.SERVER)));
    assertEquals(1, Files.list(dir).count());
  }

  private static boolean run(List<String> cmd, Path dir) throws Exception {
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
  }
}
