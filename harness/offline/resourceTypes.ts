// The type tokens of every resource the program registers, by what it is: one
// table for the offline engine, render and the tests.
export const resourceTypes = {
    // GCP
    cluster: "gcp:container/cluster:Cluster",
    nodePool: "gcp:container/nodePool:NodePool",
    serviceAccount: "gcp:serviceaccount/account:Account",
    serviceAccountIam: "gcp:serviceaccount/iAMMember:IAMMember",
    projectIam: "gcp:projects/iAMMember:IAMMember",
    address: "gcp:compute/address:Address",
    repository: "gcp:artifactregistry/repository:Repository",
    repositoryIam: "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
    dnsRecord: "gcp:dns/recordSet:RecordSet",
    zoneIam: "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember",
    uptimeCheck: "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig",
    notificationChannel: "gcp:monitoring/notificationChannel:NotificationChannel",
    alertPolicy: "gcp:monitoring/alertPolicy:AlertPolicy",
    dashboard: "gcp:monitoring/dashboard:Dashboard",
    healthCheck: "gcp:compute/healthCheck:HealthCheck",
    image: "docker:index/image:Image",
    randomPassword: "random:index/randomPassword:RandomPassword",
    privateKey: "tls:index/privateKey:PrivateKey",
    selfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
    stackReference: "pulumi:pulumi:StackReference",
    // Kubernetes
    k8sProvider: "pulumi:providers:kubernetes",
    namespace: "kubernetes:core/v1:Namespace",
    secret: "kubernetes:core/v1:Secret",
    configMap: "kubernetes:core/v1:ConfigMap",
    service: "kubernetes:core/v1:Service",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    deployment: "kubernetes:apps/v1:Deployment",
    podMonitoring: "kubernetes:monitoring.googleapis.com/v1:PodMonitoring",
    podDisruptionBudget: "kubernetes:policy/v1:PodDisruptionBudget",
    networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    helmRelease: "kubernetes:helm.sh/v3:Release",
    clusterIssuer: "kubernetes:cert-manager.io/v1:ClusterIssuer",
    certificate: "kubernetes:cert-manager.io/v1:Certificate",
} as const;

/** Invokes (data sources) the program calls. */
export const invokeTokens = {
    managedZone: "gcp:dns/getManagedZone:getManagedZone",
    address: "gcp:compute/getAddress:getAddress",
} as const;
