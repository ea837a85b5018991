package dev.aranya.controller.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(
        id = ControllerConfig.PID,
        name = "Aranya controller",
        description = "Leader election in the served namespace and the reconcile loop that turns EdgeDevices into Nodes.")
@interface ControllerConfig {
    String PID = "dev.aranya.controller";

    @AttributeDefinition(name = "Identity", description = "This instance's name in the leader election. Empty: the "
            + "host name and a random suffix, new at each start.")
    String identity() default "";

    @AttributeDefinition(name = "Election Lease", description = "Name of the Lease in the served namespace that the "
            + "instances of this namespace compete for.")
    String electionLeaseName() default "aranya-leader";

    @AttributeDefinition(name = "Election lease duration (s)", min = "3")
    int electionLeaseDurationSeconds() default 15;

    @AttributeDefinition(name = "Election renew deadline (s)", description = "A leader that could not renew for this "
            + "long stops leading; below the lease duration.", min = "2")
    int electionRenewDeadlineSeconds() default 10;

    @AttributeDefinition(name = "Election retry period (s)", description = "How often candidates try and the leader "
            + "renews; below the renew deadline.", min = "1")
    int electionRetryPeriodSeconds() default 2;

    @AttributeDefinition(name = "Outage hold (s)", description = "A leader that stops leading because it could not "
            + "renew its Lease (the apiserver is unreachable) keeps serving its devices this long, writing nothing to "
            + "the cluster: their agents stay connected, and it takes them back when it leads again. It lets them go "
            + "at once when it sees another instance lead. 0: disconnect them at once.", min = "0")
    int outageHoldSeconds() default 120;

    @AttributeDefinition(name = "Lowest kubelet port", min = "1", max = "65535")
    int kubeletPortMin() default 10350;

    @AttributeDefinition(name = "Highest kubelet port", min = "1", max = "65535")
    int kubeletPortMax() default 12349;

    @AttributeDefinition(name = "Node Lease renew interval (s)", description = "How often the node Lease of a "
            + "connected device is renewed.", min = "1")
    int nodeLeaseRenewSeconds() default 10;

    @AttributeDefinition(name = "Node Lease duration (s)", min = "1")
    int nodeLeaseDurationSeconds() default 40;

    @AttributeDefinition(name = "Offline grace (s)", description = "How long a device may be disconnected before its "
            + "Node stops being Ready (a quick reconnect does not flap the Node).", min = "0")
    int offlineGraceSeconds() default 10;

    @AttributeDefinition(name = "Default pod allocatable", description = "Pods a Node takes besides its virtual pod "
            + "when spec.pod.allocatable is unset or 0.", min = "0")
    int defaultPodAllocatable() default 10;

    @AttributeDefinition(name = "Workers", description = "Devices reconciled at the same time.", min = "1")
    int workers() default 4;

    @AttributeDefinition(name = "Resync period (s)", description = "Every device is reconciled at least this often.", min = "10")
    int resyncSeconds() default 300;

    @AttributeDefinition(name = "Reconciles per second", description = "Upper bound of reconciles (and so of writes "
            + "to the apiserver caused by them) per second, over all devices.", min = "1")
    int reconcilesPerSecond() default 50;

    @AttributeDefinition(name = "Reconcile burst", min = "1")
    int reconcileBurst() default 200;

    @AttributeDefinition(name = "First retry delay (ms)", min = "10")
    int retryBaseMillis() default 500;

    @AttributeDefinition(name = "Longest retry delay (s)", min = "1")
    int retryMaxSeconds() default 60;

    @AttributeDefinition(name = "lastSeen refresh (s)", description = "While a device is connected, its status.lastSeen "
            + "is rewritten at most this often.", min = "1")
    int lastSeenRefreshSeconds() default 60;

    @AttributeDefinition(name = "Kubelet version", description = "What the Nodes report as their kubelet's version "
            + "(status.nodeInfo.kubeletVersion, kubectl's VERSION column). Empty: the apiserver's version.")
    String kubeletVersion() default "";
}
