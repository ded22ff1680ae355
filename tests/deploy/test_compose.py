"""docker-compose.yml, the Dockerfile and deploy/ agree with the components that exist.

Parsing only: no Docker engine or cluster is needed. The command checks import `<svc>.service`
and `gateway.__main__`, so they need the packages installed (make install does that).
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import shlex

import pytest
import yaml

from support.components import COMPONENTS, ROOT, SERVICES

# The web dashboard (ADR 21) has an image of its own but no database, broker nor migrations.
CLIENTS = ["web"]
IMAGES = [*COMPONENTS, *CLIENTS]
# The admin gateway is a second deployment of the gateway's image, on its own port (ADR 10).
IMAGE_OF = {**{name: name for name in IMAGES}, "admin": "gateway"}
INIT_SCRIPT = ROOT / "deploy" / "postgres" / "create-databases.sh"
K8S = ROOT / "deploy" / "k8s"


def component_dir(name: str) -> str:
    return name if name in ("gateway", *CLIENTS) else f"services/{name}"


def as_dict(value) -> dict:
    """Compose accepts maps or lists of KEY=VALUE for environment and build args."""
    if isinstance(value, list):
        return dict(item.split("=", 1) if "=" in item else (item, None) for item in value)
    return dict(value or {})


def as_argv(value) -> list[str]:
    return shlex.split(value) if isinstance(value, str) else [str(v) for v in value]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            pairs.append((word.upper(), rest.strip()))
    return pairs


@pytest.fixture(scope="module")
def init_databases() -> set[str]:
    match = re.search(r'^DATABASES="([^"]*)"', INIT_SCRIPT.read_text(), re.M)
    assert match, f'{INIT_SCRIPT.relative_to(ROOT)} has no DATABASES="..." line'
    return set(match.group(1).split())


@pytest.fixture(scope="module")
def k8s_docs() -> list[dict]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        docs += [dict(d, _file=path.name) for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def test_the_five_services_exist():
    assert {"orders", "fulfillment", "chat", "payments", "disputes"} <= set(SERVICES)


def test_the_gateway_knows_the_same_services():
    from gateway.health import SERVICES as READINESS_CHECKS

    assert list(READINESS_CHECKS) == SERVICES


# --- images ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", IMAGES)
def test_each_component_is_built_from_the_dockerfile_with_its_service_arg(services, name):
    assert name in services, f"docker-compose.yml has no service {name!r}"
    build = services[name].get("build")
    assert isinstance(build, dict), f"{name}: build must be a map with context and args"
    assert build.get("context") in (".", "./")
    assert build.get("dockerfile", "Dockerfile") == "Dockerfile"
    args = as_dict(build.get("args"))
    assert args.get("SERVICE") == name
    assert args.get("SERVICE_DIR", f"services/{name}") == component_dir(name)


def test_dockerfile_takes_the_service_as_a_build_arg(dockerfile):
    args = [rest for instr, rest in dockerfile if instr == "ARG"]
    assert "SERVICE" in args
    assert "SERVICE_DIR=services/${SERVICE}" in args


@pytest.mark.parametrize("name", IMAGES)
def test_everything_the_dockerfile_copies_exists(dockerfile, name):
    for instr, rest in dockerfile:
        if instr != "COPY" or "--from=" in rest:
            continue
        *sources, _dest = [w for w in rest.split() if not w.startswith("--")]
        for source in sources:
            path = source.replace("${SERVICE_DIR}", component_dir(name))
            if "[" in path:  # an optional file ("config.yam[l]")
                continue
            assert (ROOT / path).exists(), f"Dockerfile copies {source}: {path} is missing"


def test_dockerfile_installs_chassis_contracts_and_the_component_pinned(dockerfile):
    installs = [rest for instr, rest in dockerfile if instr == "RUN" and "pip install" in rest]
    assert installs, "the Dockerfile installs nothing with pip"
    line = " ".join(installs)
    for needed in ("-c constraints.txt", "libs/contracts", "libs/chassis", "${SERVICE_DIR}"):
        assert needed in line


def test_dockerfile_runs_as_a_non_root_user_and_migrates_first(dockerfile):
    users = [rest for instr, rest in dockerfile if instr == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    entrypoint = [rest for instr, rest in dockerfile if instr == "ENTRYPOINT"][-1]
    assert "docker-entrypoint.sh" in entrypoint
    script = (ROOT / "deploy" / "docker-entrypoint.sh").read_text()
    assert 'alembic -c "$SERVICE_DIR/alembic.ini" upgrade head' in script


def test_the_image_keeps_the_migrations_and_config_of_components_that_have_them(dockerfile):
    """COPY cannot skip a missing file, so the build stage gathers what exists: web has neither
    migrations nor config.yaml, and the entrypoint then has nothing to migrate."""
    [gather] = [
        rest for instr, rest in dockerfile if instr == "RUN" and "/app/${SERVICE_DIR}" in rest
    ]
    for kept in ("alembic.ini", "alembic", "config.yaml"):
        assert kept in gather.split("for kept in", 1)[1].split(";", 1)[0], kept
    assert ("COPY", "--from=build /app/ /app/") in dockerfile
    script = (ROOT / "deploy" / "docker-entrypoint.sh").read_text()
    assert '[ -f "$SERVICE_DIR/alembic.ini" ]' in script
    for name in CLIENTS:
        assert not (ROOT / component_dir(name) / "alembic.ini").exists(), name


@pytest.mark.parametrize("name", COMPONENTS)
def test_each_component_has_its_migrations(name):
    assert (ROOT / component_dir(name) / "alembic.ini").is_file()
    assert (ROOT / component_dir(name) / "alembic").is_dir()


# --- wiring ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", COMPONENTS)
def test_each_component_gets_the_broker_and_only_its_own_database(services, init_databases, name):
    env = as_dict(services[name].get("environment"))
    assert "@rabbitmq:5672" in env.get("AMQP_URI", ""), (
        f"{name}: AMQP_URI must point at the rabbitmq service"
    )
    key = f"{name.upper()}_DATABASE_URL"
    assert key in env, f"{name}: no {key}"
    match = re.fullmatch(r"postgresql(\+\w+)?://[^@/]+@postgres:5432/(\w+)", env[key])
    assert match, f"{name}: {key} must point at the compose postgres: {env[key]}"
    assert match.group(2) in init_databases, (
        f"{name}: database {match.group(2)} is not created by the init script"
    )
    others = {f"{o.upper()}_DATABASE_URL" for o in COMPONENTS if o != name}
    assert not others & env.keys(), f"{name} must not see another component's database"


def test_the_init_script_creates_a_database_per_component_and_is_mounted(services, init_databases):
    assert init_databases == set(COMPONENTS)
    mounts = [
        v if isinstance(v, str) else f"{v['source']}:{v['target']}"
        for v in services["postgres"]["volumes"]
    ]
    assert any(
        m.startswith("./deploy/postgres/create-databases.sh:/docker-entrypoint-initdb.d/")
        for m in mounts
    )


def test_rabbitmq_image_has_the_management_plugin(services):
    image = services["rabbitmq"]["image"]
    assert image.startswith("rabbitmq:") and "management" in image


@pytest.mark.parametrize("name", COMPONENTS)
def test_each_component_waits_for_broker_database_and_topology(services, name):
    depends = services[name].get("depends_on")
    assert isinstance(depends, dict), f"{name}: depends_on needs conditions"
    assert depends.get("rabbitmq", {}).get("condition") == "service_healthy"
    assert depends.get("postgres", {}).get("condition") == "service_healthy"
    assert depends.get("topology", {}).get("condition") == "service_completed_successfully"


def test_the_topology_job_runs_once_after_the_broker(services):
    job = services["topology"]
    assert as_argv(job["command"])[-2:] == ["-m", "chassis.topology"]
    assert job.get("restart", "no") == "no"
    assert job["depends_on"]["rabbitmq"]["condition"] == "service_healthy"
    assert importlib.util.find_spec("chassis.topology"), "chassis.topology does not exist yet"


@pytest.mark.parametrize("name", ["rabbitmq", "postgres", *IMAGES])
def test_everything_long_running_has_a_healthcheck(services, name):
    assert services[name].get("healthcheck", {}).get("test")


def test_the_gateway_listens_on_8080_on_all_interfaces(services):
    gateway = services["gateway"]
    assert any(str(p).endswith("8080:8080") for p in gateway["ports"])
    env = as_dict(gateway["environment"])
    assert env["GATEWAY_HOST"] == "0.0.0.0" and str(env["GATEWAY_PORT"]) == "8080"


def test_the_admin_gateway_listens_on_the_hosts_loopback_only(services):
    admin = services["admin"]
    assert as_argv(admin["command"]) == ["python", "-m", "gateway.admin"]
    assert [str(p) for p in admin["ports"]] == ["127.0.0.1:8081:8081"]
    env = as_dict(admin["environment"])
    assert env["ADMIN_HOST"] == "0.0.0.0" and str(env["ADMIN_PORT"]) == "8081"
    assert importlib.util.find_spec("gateway.admin.__main__")


def test_secrets_come_from_the_environment_not_literals(services):
    for name, service in services.items():
        for key, value in as_dict(service.get("environment")).items():
            value = str(value)
            if re.search(r"SECRET|PASSWORD", key):
                # required (${VAR:?...}), or optional and empty unless set (${VAR:-})
                assert re.fullmatch(r"\$\{\w+:(\?[^}]*|-)\}", value), (
                    f"{name}.{key} must be ${{VAR:?...}} or ${{VAR:-}}"
                )
            if "://" in value and "@" in value:  # a password inside a URL
                userinfo = value.split("://", 1)[1].split("@", 1)[0]
                assert ":" not in userinfo or "${" in userinfo.split(":", 1)[1], (
                    f"{name}.{key} holds a password"
                )


# --- commands name real code ---------------------------------------------------------------


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_command_runs_a_service_class_that_exists(services, name):
    argv = as_argv(services[name]["command"])
    assert argv[:2] == ["nameko", "run"]
    config = argv[argv.index("--config") + 1]
    assert config == f"services/{name}/config.yaml" and (ROOT / config).is_file()
    module_name, _, class_name = argv[-1].partition(":")
    assert module_name == f"{name}.service" and class_name == name.capitalize() + "Service"
    cls = getattr(importlib.import_module(module_name), class_name, None)
    assert cls is not None, f"{module_name} has no {class_name}"
    assert getattr(cls, "name", None) == name, (
        f"{class_name}.name must be {name!r} (RPC and health checks use it)"
    )


def test_the_gateway_command_runs_the_gateway_package(services):
    assert as_argv(services["gateway"]["command"]) == ["python", "-m", "gateway"]
    assert importlib.util.find_spec("gateway.__main__"), "gateway/__main__.py does not exist yet"


# --- Kubernetes ----------------------------------------------------------------------------


def test_k8s_has_one_deployment_per_component_running_what_compose_runs(k8s_docs, services):
    deployments = {d["metadata"]["name"]: d for d in k8s_docs if d["kind"] == "Deployment"}
    assert set(deployments) == set(IMAGE_OF)
    for name, deployment in deployments.items():
        assert deployment["spec"]["replicas"] >= 1
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        assert container["image"].split(":")[0] == f"marketplace/{IMAGE_OF[name]}"
        assert container["args"] == as_argv(services[name]["command"])
        assert container.get("readinessProbe") and container.get("livenessProbe"), name
        secret_keys = {
            e["valueFrom"]["secretKeyRef"]["key"]
            for e in container.get("env", [])
            if "valueFrom" in e
        }
        db_keys = {k for k in secret_keys if k.endswith("_DATABASE_URL")}
        if IMAGE_OF[name] in CLIENTS:  # a client of the gateways only
            assert not db_keys and "AMQP_URI" not in secret_keys, name
            continue
        assert db_keys == {f"{IMAGE_OF[name].upper()}_DATABASE_URL"}, name
        assert "AMQP_URI" in secret_keys, name


@pytest.mark.parametrize("name", ["gateway", "admin", *CLIENTS])
def test_k8s_http_components_have_a_service(k8s_docs, name):
    assert any(d["kind"] == "Service" and d["metadata"]["name"] == name for d in k8s_docs)


def test_k8s_job_declares_topology_and_migrates_every_component(k8s_docs):
    [job] = [d for d in k8s_docs if d["kind"] == "Job"]
    inits = {c["name"]: c for c in job["spec"]["template"]["spec"]["initContainers"]}
    assert inits["topology"]["args"][-2:] == ["-m", "chassis.topology"]
    for name in COMPONENTS:
        container = inits.get(f"migrate-{name}")
        assert container, f"the Job does not migrate {name}"
        assert container["image"].split(":")[0] == f"marketplace/{name}"
        assert f"{component_dir(name)}/alembic.ini" in container["args"]


def test_k8s_secret_template_holds_keys_but_no_values(k8s_docs):
    [secret] = [d for d in k8s_docs if d["kind"] == "Secret"]
    data = secret.get("stringData", {})
    assert {f"{n.upper()}_DATABASE_URL" for n in COMPONENTS} | {"AMQP_URI", "JWT_SECRET"} <= set(
        data
    )
    assert not any(data.values()) and not secret.get("data")


def test_kustomization_lists_every_deployment_and_image(k8s_docs):
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    resources = kustomization["resources"]
    assert all((K8S / r).is_file() for r in resources)
    assert "secret.template.yaml" not in resources and "migrate-job.yaml" not in resources
    for doc in k8s_docs:
        if doc["kind"] == "Deployment":
            assert doc["_file"] in resources
    assert {i["name"] for i in kustomization["images"]} == {f"marketplace/{n}" for n in IMAGES}


# --- settings reach the containers -----------------------------------------------------------

SETTING = re.compile(r"\$\{(\w+):([^}]*)\}")
SECRET_SETTING = re.compile(r"SECRET|PASSWORD")


def settings_read_by(name: str) -> dict[str, str]:
    """``{variable: default}`` for every ``${VAR:default}`` the service's config.yaml reads."""
    text = (ROOT / "services" / name / "config.yaml").read_text()
    return {
        variable: default
        for variable, default in SETTING.findall(text)
        if variable not in ("AMQP_URI", f"{name.upper()}_DATABASE_URL")
    }


def k8s_container(k8s_docs: list[dict], name: str) -> dict:
    """The one container of the Deployment ``name``."""
    [deployment] = [
        d for d in k8s_docs if d["kind"] == "Deployment" and d["metadata"]["name"] == name
    ]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    return container


def secret_refs(container: dict) -> dict[str, dict]:
    """``{variable: secretKeyRef}`` for each variable the container takes from a Secret."""
    return {
        e["name"]: e["valueFrom"]["secretKeyRef"]
        for e in container.get("env", [])
        if "secretKeyRef" in e.get("valueFrom", {})
    }


def uses_the_blob_store(name: str) -> bool:
    package = ROOT / component_dir(name) / name
    uses = re.compile(r"\bBlobs\(|\bblob_store\(")
    return any(uses.search(path.read_text()) for path in package.rglob("*.py"))


@pytest.mark.parametrize("name", SERVICES)
def test_compose_passes_every_setting_the_service_reads(services, name):
    """A setting in .env or the shell reaches the container only if compose names it."""
    env = as_dict(services[name].get("environment"))
    missing = sorted(set(settings_read_by(name)) - set(env))
    assert not missing, f"docker-compose.yml does not pass {', '.join(missing)} to {name}"
    for variable in settings_read_by(name):
        if SECRET_SETTING.search(variable):
            assert env[variable] is None or str(env[variable]).startswith("${"), variable


@pytest.mark.parametrize("name", SERVICES)
def test_k8s_gives_every_setting_the_service_reads_with_its_default(k8s_docs, name):
    """Non-secret settings in the shared ConfigMap, with the defaults config.yaml has; secret
    ones from the Secret, each optional where the service runs without it."""
    [configmap] = [d for d in k8s_docs if d["kind"] == "ConfigMap"]
    container = k8s_container(k8s_docs, name)
    from_secret = secret_refs(container)
    [secret] = [d for d in k8s_docs if d["kind"] == "Secret"]
    for variable, default in settings_read_by(name).items():
        if SECRET_SETTING.search(variable):
            assert variable in from_secret and variable in secret["stringData"], variable
            assert from_secret[variable].get("optional") is (default == ""), variable
        else:
            assert variable in configmap["data"], f"the ConfigMap has no {variable} ({name})"
            assert str(configmap["data"][variable]) == default, (
                f"ConfigMap {variable}={configmap['data'][variable]!r}, config.yaml: {default!r}"
            )


@pytest.mark.parametrize("name", [n for n in COMPONENTS if uses_the_blob_store(n)])
def test_every_component_using_the_blob_store_shares_the_gateways(services, dockerfile, name):
    """Chat reads what the gateway stored (attachments), payments its invoices: the same store
    settings and, without a bucket, the same volume at the same DATA_DIR."""
    gateway, service = services["gateway"], services[name]
    blob_settings = ("DATA_DIR", "BLOB_STORE_URL", "BLOB_S3_ENDPOINT_URL", "BLOB_MAX_BYTES")
    gateway_env, env = as_dict(gateway["environment"]), as_dict(service["environment"])
    for variable in blob_settings:
        assert variable in env and env[variable] == gateway_env[variable], (name, variable)
    volume = f"{gateway['volumes'][0].split(':')[0]}:{gateway_env['DATA_DIR']}"
    assert volume in service.get("volumes", []), f"{name} does not mount {volume}"
    # A named volume takes its owner from the image's directory: it must exist, the app's own.
    made = [
        rest for instr, rest in dockerfile if instr == "RUN" and gateway_env["DATA_DIR"] in rest
    ]
    assert made and "chown" in made[0] and "10001" in made[0]


# --- the web dashboard: a client of the gateways ---------------------------------------------

# Read by web/web/settings.py but not given to a deployed dashboard: the one-click demo users
# (development only) and the JWT secret they need; and the gateways' host and port, which
# WEB_API_URL and WEB_ADMIN_URL replace.
WEB_DEVELOPMENT_ONLY = {"WEB_DEMO_USERS", "JWT_SECRET"}
WEB_REPLACED = {"GATEWAY_HOST", "GATEWAY_PORT", "ADMIN_HOST", "ADMIN_PORT"}


def settings_read_by_web() -> set[str]:
    text = (ROOT / "web" / "web" / "settings.py").read_text()
    return set(re.findall(r"""env(?:\.get\(|\[)\s*["'](\w+)["']""", text))


def web_settings_from(env: dict) -> dict:
    from web.settings import load_settings

    secret = "x" * 32  # stands for the value the deployment's secret store gives
    given = {k: (secret if "SECRET" in k else str(v)) for k, v in env.items() if v is not None}
    return load_settings(given)


def test_web_settings_are_read_from_its_settings_module():
    read = settings_read_by_web()
    assert {"WEB_SECRET_KEY", "WEB_API_URL", "WEB_ADMIN_URL", "WEB_COOKIE_SECURE"} <= read
    assert read >= WEB_DEVELOPMENT_ONLY | WEB_REPLACED


def test_compose_passes_every_setting_web_reads_and_no_development_ones(services):
    env = as_dict(services["web"]["environment"])
    needed = settings_read_by_web() - WEB_DEVELOPMENT_ONLY - WEB_REPLACED
    missing = sorted(needed - set(env))
    assert not missing, f"docker-compose.yml does not pass {', '.join(missing)} to web"
    assert not WEB_DEVELOPMENT_ONLY & env.keys()
    assert not {k for k in env if k.endswith("_DATABASE_URL")} and "AMQP_URI" not in env
    assert re.fullmatch(r"\$\{WEB_SECRET_KEY:\?[^}]*\}", env["WEB_SECRET_KEY"])


def test_compose_web_is_a_client_of_the_compose_gateways(services):
    web = services["web"]
    settings = web_settings_from(as_dict(web["environment"]))
    gateway_env = as_dict(services["gateway"]["environment"])
    admin_env = as_dict(services["admin"]["environment"])
    assert settings["WEB_API_URL"] == f"http://gateway:{gateway_env['GATEWAY_PORT']}/api/v1"
    assert settings["WEB_ADMIN_URL"] == f"http://admin:{admin_env['ADMIN_PORT']}/admin/v1"
    assert settings["WEB_HOST"] == "0.0.0.0"
    assert [str(p) for p in web["ports"]] == [f"{settings['WEB_PORT']}:{settings['WEB_PORT']}"]
    assert as_argv(web["command"]) == ["python", "-m", "web"]
    assert importlib.util.find_spec("web.__main__")
    assert web["depends_on"]["gateway"]["condition"] == "service_healthy"
    assert "admin" in web["depends_on"]


def test_k8s_web_gets_every_setting_it_reads_and_reaches_the_gateways_services(k8s_docs):
    [configmap] = [d for d in k8s_docs if d["kind"] == "ConfigMap"]
    [secret] = [d for d in k8s_docs if d["kind"] == "Secret"]
    container = k8s_container(k8s_docs, "web")
    from_secret = secret_refs(container)
    assert from_secret["WEB_SECRET_KEY"]["key"] in secret["stringData"]
    assert not from_secret["WEB_SECRET_KEY"].get("optional")
    env = {**configmap["data"], **{e["name"]: e["value"] for e in container["env"] if "value" in e}}
    env.update(dict.fromkeys(from_secret, "from the Secret"))
    needed = settings_read_by_web() - WEB_DEVELOPMENT_ONLY - WEB_REPLACED
    assert not needed - env.keys(), sorted(needed - env.keys())
    assert not WEB_DEVELOPMENT_ONLY & (configmap["data"].keys() | from_secret.keys())

    settings = web_settings_from(env)
    assert settings["WEB_COOKIE_SECURE"]  # a cluster serves the dashboard behind HTTPS
    assert container["ports"][0]["containerPort"] == settings["WEB_PORT"]
    for url, service in (
        (settings["WEB_API_URL"], "gateway"),
        (settings["WEB_ADMIN_URL"], "admin"),
    ):
        host = url.split("://", 1)[1].split("/", 1)[0]
        [target] = [
            d for d in k8s_docs if d["kind"] == "Service" and d["metadata"]["name"] == service
        ]
        assert host == service and target["spec"]["ports"][0]["port"] == 80, url
