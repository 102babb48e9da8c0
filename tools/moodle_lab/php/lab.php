<?php
// This file is part of dsenroll.moodle's test lab. GNU GPL v3 or later.
//
// Runs inside a Moodle site through Moodle's own APIs (never SQL of ours):
//   php lab.php --moodle=DIR --action=configure      set the site up as the collection's users do, plus
//                                                    the fixtures of the negative tests; prints JSON
//   php lab.php --moodle=DIR --action=config --name=N --value=V     one setting (set_config)
//   php lab.php --moodle=DIR --action=rest-use --username=U --grant=0|1
//   php lab.php --moodle=DIR --action=info           release, version, branch, wwwroot as JSON
// The Python side (tools/moodle_lab) owns processes, files and the database server.

define('CLI_SCRIPT', true);

$options = [];
foreach (array_slice($argv, 1) as $arg) {
    if (preg_match('/^--([a-z-]+)=(.*)$/s', $arg, $m)) {
        $options[$m[1]] = $m[2];
    } else {
        fwrite(STDERR, "lab.php: unexpected argument $arg\n");
        exit(2);
    }
}
if (empty($options['moodle']) || empty($options['action'])) {
    fwrite(STDERR, "lab.php: --moodle=DIR and --action=NAME are required\n");
    exit(2);
}
require($options['moodle'] . '/config.php');
require_once($CFG->dirroot . '/user/lib.php');
require_once($CFG->dirroot . '/cohort/lib.php');
require_once($CFG->dirroot . '/webservice/lib.php');

// The setup guide's service and functions, and the fuller service the recommended checks use.
const GUIDE_FUNCTIONS = ['core_user_get_users_by_field', 'core_user_create_users', 'core_cohort_add_cohort_members'];
const FULL_EXTRA = ['core_webservice_get_site_info', 'core_cohort_get_cohort_members', 'core_cohort_delete_cohort_members',
    'core_cohort_get_cohorts', 'core_cohort_search_cohorts', 'core_user_update_users', 'core_user_delete_users',
    'core_user_get_users'];
const REST_USE_ROLE = 'dsenrolllabrestuse';
const PASSWORD = 'Lab-User-Pass-1!';

function lab_fail(string $message): void {
    fwrite(STDERR, "lab.php: $message\n");
    exit(1);
}

function lab_user(string $username, string $firstname, string $lastname, string $email, string $idnumber = ''): int {
    global $DB, $CFG;
    if ($existing = $DB->get_record('user', ['username' => $username, 'mnethostid' => $CFG->mnet_localhost_id])) {
        return (int) $existing->id;
    }
    $user = (object) [
        'username' => $username, 'firstname' => $firstname, 'lastname' => $lastname, 'email' => $email,
        'idnumber' => $idnumber, 'auth' => 'manual', 'confirmed' => 1, 'mnethostid' => $CFG->mnet_localhost_id,
        'password' => PASSWORD, 'lang' => 'en',
    ];
    return (int) user_create_user($user, true, false);
}

function lab_role(string $shortname, string $name, array $capabilities): int {
    global $DB;
    $roleid = $DB->get_field('role', 'id', ['shortname' => $shortname]);
    if (!$roleid) {
        $roleid = create_role($name, $shortname, 'dsenroll.moodle lab fixture role', '');
        set_role_contextlevels($roleid, [CONTEXT_SYSTEM]);
    }
    foreach ($capabilities as $capability) {
        assign_capability($capability, CAP_ALLOW, $roleid, context_system::instance()->id, true);
    }
    return (int) $roleid;
}

function lab_service(webservice $manager, string $shortname, string $name, array $functions): stdClass {
    global $DB;
    $service = $DB->get_record('external_services', ['shortname' => $shortname]);
    if (!$service) {
        $service = (object) ['name' => $name, 'shortname' => $shortname, 'enabled' => 1, 'restrictedusers' => 1,
            'downloadfiles' => 0, 'uploadfiles' => 0, 'requiredcapability' => ''];
        $service->id = $manager->add_external_service($service);
    }
    foreach ($functions as $function) {
        if (!$DB->record_exists('external_services_functions', ['externalserviceid' => $service->id,
                'functionname' => $function])) {
            $manager->add_external_function_to_service($function, $service->id);
        }
    }
    return $service;
}

function lab_authorise(webservice $manager, stdClass $service, int $userid): void {
    global $DB;
    if (!$DB->record_exists('external_services_users', ['externalserviceid' => $service->id, 'userid' => $userid])) {
        $manager->add_ws_authorised_user((object) ['externalserviceid' => $service->id, 'userid' => $userid]);
    }
}

function lab_token(stdClass $service, int $userid, string $name, int $validuntil = 0, string $iprestriction = ''): string {
    return \core_external\util::generate_token(EXTERNAL_TOKEN_PERMANENT, $service, $userid, context_system::instance(),
        $validuntil, $iprestriction, $name);
}

function lab_set_rest_use(string $username, bool $grant): void {
    global $DB;
    $userid = $DB->get_field('user', 'id', ['username' => $username, 'deleted' => 0], MUST_EXIST);
    $roleid = lab_role(REST_USE_ROLE, 'Web service REST user (lab)', ['webservice/rest:use']);
    $context = context_system::instance();
    if ($grant) {
        role_assign($roleid, $userid, $context->id);
    } else {
        role_unassign($roleid, $userid, $context->id);
    }
}

function lab_configure(): array {
    global $DB, $USER;
    if ($DB->record_exists('external_services', ['shortname' => 'ds_enroll_moodle_integration'])) {
        lab_fail('this site is configured already (the lab configures a fresh install once)');
    }
    \core\session\manager::set_user(get_admin());
    $system = context_system::instance();

    // Setup guide, steps 2 and 3: web services and the REST protocol on.
    set_config('enablewebservices', 1);
    set_config('webserviceprotocols', 'rest');
    set_config('allowaccountssameemail', 0);

    // Steps 6 and later: the API user with Manager at system level (the guide's "quick testing" advice),
    // plus the webservice/rest:use grant the guide forgets. Then the negative-test users, in this order so
    // that ids match the simulator's seed.
    $manager = $DB->get_field('role', 'id', ['shortname' => 'manager'], MUST_EXIST);
    $api = lab_user('ds-enroll-api', 'DS Enroll', 'API', 'ds-enroll-api@example.com');
    $unauth = lab_user('ds-enroll-unauth', 'DS Enroll', 'Unauthorised', 'ds-enroll-unauth@example.com');
    $nocap = lab_user('ds-enroll-nocap', 'DS Enroll', 'NoCap', 'ds-enroll-nocap@example.com');
    $restonly = lab_user('ds-enroll-restonly', 'DS Enroll', 'RestOnly', 'ds-enroll-restonly@example.com');
    $learner = lab_user('existing.learner', 'Existing', 'Learner', 'existing.learner@example.com', 'EXT-0001');
    role_assign($manager, $api, $system->id);
    role_assign($manager, $unauth, $system->id);
    foreach (['ds-enroll-api', 'ds-enroll-unauth', 'ds-enroll-restonly'] as $username) {
        lab_set_rest_use($username, true);
    }

    $cohorts = [];
    $category = $DB->get_field_sql('SELECT MIN(id) FROM {course_categories}');
    foreach ([['OneMembership', 'onemembership', $system], ['Second Cohort', 'second', $system],
              ['Category Cohort', 'categorycohort', context_coursecat::instance($category)]] as [$name, $idnumber, $ctx]) {
        $cohorts[$idnumber] = (int) cohort_add_cohort((object) ['name' => $name, 'idnumber' => $idnumber,
            'contextid' => $ctx->id, 'description' => 'moodle-lab fixture cohort ' . $idnumber,
            'descriptionformat' => FORMAT_HTML, 'component' => '']);
    }

    // Steps 4, 5 and 7: the guide's service with its three functions, its authorised user; the other services.
    $ws = new webservice();
    $guide = lab_service($ws, 'ds_enroll_moodle_integration', 'DS Enroll Moodle Integration', GUIDE_FUNCTIONS);
    $full = lab_service($ws, 'ds_enroll_full', 'DS Enroll Full', array_merge(GUIDE_FUNCTIONS, FULL_EXTRA));
    $missing = lab_service($ws, 'ds_enroll_missing_fn', 'DS Enroll Missing Function', ['core_user_get_users_by_field']);
    lab_authorise($ws, $guide, $api);
    foreach ([get_admin()->id, $api, $nocap, $restonly] as $userid) {
        lab_authorise($ws, $full, (int) $userid);
    }
    lab_authorise($ws, $missing, $api);

    // Step 8: the token; then one per failure the checks must recognise.
    $tokens = [
        'TOKEN_OK' => lab_token($guide, $api, 'dsenroll lab: setup guide'),
        'TOKEN_FULL' => lab_token($full, $api, 'dsenroll lab: full service'),
        'TOKEN_MISSING_FN' => lab_token($missing, $api, 'dsenroll lab: missing functions'),
        'TOKEN_UNAUTHORISED' => lab_token($guide, $unauth, 'dsenroll lab: not authorised'),
        'TOKEN_NOCAP' => lab_token($full, $nocap, 'dsenroll lab: no rest use'),
        'TOKEN_NOCAP_RESTONLY' => lab_token($full, $restonly, 'dsenroll lab: rest use only'),
        'TOKEN_EXPIRED' => lab_token($guide, $api, 'dsenroll lab: expired', 1),
        'TOKEN_IPRESTRICTED' => lab_token($guide, $api, 'dsenroll lab: ip restricted', 0, '10.9.9.9'),
        'TOKEN_SITEADMIN' => lab_token($full, (int) get_admin()->id, 'dsenroll lab: site admin'),
    ];
    purge_all_caches();
    return ['tokens' => $tokens, 'cohorts' => $cohorts,
        'users' => ['ds-enroll-api' => $api, 'ds-enroll-unauth' => $unauth, 'ds-enroll-nocap' => $nocap,
            'ds-enroll-restonly' => $restonly, 'existing.learner' => $learner]];
}

switch ($options['action']) {
    case 'configure':
        echo json_encode(lab_configure()), "\n";
        break;
    case 'config':
        if (!isset($options['name']) || !array_key_exists('value', $options)) {
            lab_fail('config needs --name and --value');
        }
        set_config($options['name'], $options['value']);
        echo json_encode([$options['name'] => get_config('core', $options['name'])]), "\n";
        break;
    case 'rest-use':
        if (empty($options['username']) || !isset($options['grant'])) {
            lab_fail('rest-use needs --username and --grant=0|1');
        }
        lab_set_rest_use($options['username'], (bool) $options['grant']);
        echo json_encode(['username' => $options['username'], 'rest_use' => (bool) $options['grant']]), "\n";
        break;
    case 'info':
        echo json_encode(['release' => $CFG->release, 'version' => $CFG->version, 'branch' => $CFG->branch,
            'wwwroot' => $CFG->wwwroot, 'dbtype' => $CFG->dbtype]), "\n";
        break;
    default:
        lab_fail('unknown action ' . $options['action']);
}
