// A single-node YARN for the promote rehearsal: one ResourceManager and one NodeManager in this JVM, from
// Hadoop's MiniYARNCluster (hadoop-minicluster). Every setting comes from the properties file named by the
// first argument, written by workbench/src/stack/yarn/yarn-conf.ts (addresses on 127.0.0.1, the node's
// memory and vcores, container memory enforcement); nothing is decided here. Compiled at set-up into the
// cache (workbench/src/setup/yarn-jars.ts). Runs until SIGTERM, then stops the cluster (which stops the
// containers) before exiting. Once the NodeManager has registered, it writes <properties>.ready with the
// NodeManager's ephemeral addresses.
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.apache.hadoop.yarn.server.nodemanager.NodeManager;

public final class RehearsalYarn {
  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: RehearsalYarn <yarn.properties>");
      System.exit(2);
    }
    Properties props = new Properties();
    try (Reader r = Files.newBufferedReader(Path.of(args[0]))) {
      props.load(r);
    }
    YarnConfiguration conf = new YarnConfiguration();
    for (String key : props.stringPropertyNames()) conf.set(key, props.getProperty(key));

    // 1 NodeManager, 1 local dir, 1 log dir; its work folder is ./target/<name> (the launcher's cwd).
    MiniYARNCluster cluster = new MiniYARNCluster("fruits-rehearsal", 1, 1, 1);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("fruits-rehearsal-yarn: stopping");
      try {
        cluster.stop();
      } finally {
        stopped.countDown();
      }
      System.out.println("fruits-rehearsal-yarn: stopped");
    }));
    cluster.init(conf);
    cluster.start();
    if (!cluster.waitForNodeManagersToConnect(60_000)) {
      System.err.println("fruits-rehearsal-yarn: the NodeManager did not register with the ResourceManager in 60 s");
      System.exit(1);
    }
    // The NodeManager's ports are ephemeral: publish them. The ResourceManager's REST API is unusable in a
    // MiniYARNCluster (both web apps share Guice's static filter, the NodeManager's wins), the NodeManager's works.
    NodeManager nodeManager = cluster.getNodeManager(0);
    Configuration nm = nodeManager.getConfig();
    Properties ready = new Properties();
    ready.setProperty("resourcemanager.address", cluster.getConfig().get(YarnConfiguration.RM_ADDRESS));
    ready.setProperty("nodemanager.address", String.valueOf(nodeManager.getNMContext().getNodeId()));
    ready.setProperty("nodemanager.webapp.port", String.valueOf(nodeManager.getNMContext().getHttpPort()));
    ready.setProperty("nodemanager.local-dirs", nm.get(YarnConfiguration.NM_LOCAL_DIRS));
    ready.setProperty("nodemanager.log-dirs", nm.get(YarnConfiguration.NM_LOG_DIRS));
    Path readyFile = Path.of(args[0] + ".ready");
    Path tmp = Path.of(args[0] + ".ready.tmp");
    try (Writer w = Files.newBufferedWriter(tmp)) {
      ready.store(w, "written by RehearsalYarn once the NodeManager has registered");
    }
    Files.move(tmp, readyFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    System.out.println("fruits-rehearsal-yarn: started, " + ready);
    stopped.await();
  }
}
