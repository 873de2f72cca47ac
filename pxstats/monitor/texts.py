"""Every word of the monitoring report and its e-mail subject, in English and French.

The English headings and detail lines are the original's (spec ops.md §5.4-§5.5), typos
included ("cheksums", "web page warning were found"): mail filters and scripts match them.
"""

from __future__ import annotations

DASHES = "-" * 130

TEXT = {
    "en": {
        "title": "Stats monitor results",
        "time_of_test": "Time of test : {}",
        "previous_test": "Time of previous test : {}",
        "machine": "Machine name      : {}",
        "config_file": "Config file  used : {}",
        "help_file": "Stats monitor help file can be found here : {}",
        "subject": "[Stats Library Monitoring] {host} with {summary}.",
        "summary": {
            "disk": "disk usage errors",
            "gaps": "data gaps errors",
            "reach": "unreachable machines",
            "lastrun": "pxStatsStartup not running",
            "warnings": "warnings",
            "none": "no warnings",
        },
        "disk": (
            "The following disk usage warnings have been found : ",
            "No disk usage warning has been found.",
            (
                "A disk usage is unavailable when its folder does not exist: if the folder is "
                "not needed, remove it from the folders of {conf}.\nA usage above its maximum "
                "usually means that files are not cleaned up: check PX's cleaner configuration "
                "{pxetc}clean.conf and the cleaners of pxStats."
            ),
        ),
        "disk_unavailable": "Error : Disk usage for {} was unavailable.Please investigate cause.",
        "disk_usage": "Error : Disk usage for {} is {} %.Please investigate cause.",
        "pickles": (
            "Missing files were found on this machine.",
            "There were no missing pickle files found on this machine.",
            (
                "Missing files are expected for new clients and sources. Otherwise they may "
                "have been removed by a cleaner keeping fewer than 7 days of pickles, by hand, "
                "or not produced because the crontab was stopped."
            ),
        ),
        "pickles_name": "{} had the following files and folders missing : ",
        "gaps": (
            "The following data gaps were not found in error log file :",
            "All the data gaps were found within the error log file.",
            (
                "These clients sent nothing for longer than their maximum gap (PX_TIMERS of "
                "maxSettings.conf, plus 5 minutes) and Columbo's error log does not explain it: "
                "check the client, and that its logs were collected."
            ),
        ),
        "gap_line": "No data was found between {} and {}.",
        "statslogs": (
            "The following stats log files warnings were found : ",
            "No stats log files warnings were found.",
            (
                "The log files may be too small to hold the whole period, the crontab may "
                "have been stopped, or the programs may have failed: read their logs."
            ),
        ),
        "statslogs_none": "Warning : Not a single log entry within {} log files was found "
        "between {} and {}. Please investigate.",
        "statslogs_hours": "Warning : Not a single log entry within {} log files was found "
        "for these hours : {}. Please investigate.",
        "checksums": (
            "The following warning(s) were found while monitoring file cheksums : ",
            "No warnings were found while monitoring file checksums.",
            (
                "Changes are not errors in themselves: they show that files were modified "
                "or another version installed since the last monitoring job."
            ),
        ),
        "not_found": "{} could not be found.",
        "added": "{} has been added.",
        "changed": "Checksum for {} has changed since last monitoring job.",
        "crontab": (
            "Crontab entries were modified since last monitoring job.",
            "Crontab entries were not modified since last monitoring job.",
            (
                "Make sure the modification was intended and that pxStatsStartup still runs "
                "every hour."
            ),
        ),
        "crontab_no_startup": "Warning : no active crontab line runs pxStatsStartup.",
        "crontab_unreadable": "Warning : the crontab could not be read ({}).",
        "webpages": (
            "The following web page warning were found :",
            "All web pages were found to be up to date.",
            ("Web pages should be updated every hour: check that pxStatsStartup runs (crontab)."),
        ),
        "page_old": "{} was not updated since {}.",
        "graphics": (
            "The following daily graphics warnings were found :",
            "All daily graphics were found to be up to date.",
            (
                "Daily graphics should be updated every hour: check that pxStatsStartup "
                "runs (crontab)."
            ),
        ),
        "image_missing": "{} was not found.",
        "image_old": "{}'s daily image was not updated since {}",
        "databases": (
            "The following databases were not updated for more than {hours} hours :",
            "All databases were updated within the last {hours} hours.",
            (
                "transferPickleToRRD may have stopped, or the client no longer sends "
                "data; the databases of removed clients can be deleted."
            ),
        ),
        "db_old": "{} was last updated at {}.",
        "db_never": "{} was never updated.",
        "updates": (
            "The following times of update are lagging more than {hours} hours behind :",
            "No time of update is lagging more than {hours} hours behind.",
            (
                "pickleUpdater has not collected the latest hours of these clients and "
                "sources: check the log mirroring and the log of pickleUpdater."
            ),
        ),
        "update_old": "{} was collected up to {}.",
        "update_bad": "{} could not be read.",
        "latency": (
            "The following clients had too many files over their maximum latency :",
            "No client had too many files over its maximum latency.",
            "The maximums per hour come from PX_GRAPHS of maxSettings.conf.",
        ),
        "latency_line": "{} : {} files over the maximum latency between {} and {} (maximum {}).",
        "reach": (
            "The following machines could not be reached by ssh :",
            "All machines were reached by ssh.",
            (
                "Check the network, the machine and the ssh keys of the pxStats user (ssh "
                "runs in batch mode and never asks a question)."
            ),
        ),
        "reach_line": "{} : {}",
        "downloads": (
            "The Columbo files could not be downloaded :",
            "The Columbo files were downloaded from {machine}.",
            "The previous copies of maxSettings.conf and PX_Errors.txt were used.",
        ),
        "download_line": "{} : {}",
        "lastrun": (
            "The last pxStatsStartup run had problems :",
            "The last pxStatsStartup run had no problem.",
            (
                "Each step of a run is a line of data/logs/pxStatsStartup.log and of "
                "data/monitoring/lastRun.json; a failed step is tried again by the next run. "
                "A run whose process is gone was killed or crashed (or its machine stopped): "
                "the next run does what it left. pxStatsStartup must run from the crontab "
                "every pxStatsFrequency."
            ),
        ),
        "lastrun_line": "Last run : {} (started at {}), status {}, {} step(s).",
        "lastrun_step": "Warning : step {} failed : {}",
        "lastrun_running": "The run is still in progress (PID {}).",
        "lastrun_crashed": "Warning : the run did not finish: its process (PID {}) is gone "
        "(killed or crashed).",
        "lastrun_interrupted": "Warning : the run was interrupted (SIGTERM or SIGINT); {} "
        "step(s) were not done.",
        "lastrun_old": "Error : pxStatsStartup has not run since {} (it should run every {}).",
        "lastrun_bad": "Warning : {} could not be read ({}).",
    },
    "fr": {
        "title": "Résultats de la surveillance de pxStats",
        "time_of_test": "Heure du test : {}",
        "previous_test": "Heure du test précédent : {}",
        "machine": "Nom de la machine : {}",
        "config_file": "Fichier de configuration utilisé : {}",
        "help_file": "Le fichier d'aide de la surveillance se trouve ici : {}",
        "subject": "[Surveillance de pxStats] {host} avec {summary}.",
        "summary": {
            "disk": "erreurs d'utilisation des disques",
            "gaps": "erreurs de trous de données",
            "reach": "machines injoignables",
            "lastrun": "pxStatsStartup arrêté",
            "warnings": "avertissements",
            "none": "aucun avertissement",
        },
        "disk": (
            "Les avertissements suivants sur l'utilisation des disques ont été trouvés : ",
            "Aucun avertissement sur l'utilisation des disques n'a été trouvé.",
            (
                "L'utilisation d'un disque n'est pas disponible quand son dossier n'existe pas : "
                "s'il n'est pas nécessaire, retirez-le des dossiers de {conf}.\nUne utilisation "
                "au-dessus du maximum signifie souvent que les fichiers ne sont pas nettoyés : "
                "vérifiez la configuration du nettoyeur de PX {pxetc}clean.conf et les "
                "nettoyeurs de pxStats."
            ),
        ),
        "disk_unavailable": "Erreur : l'utilisation du disque pour {} n'était pas disponible."
        "Veuillez en rechercher la cause.",
        "disk_usage": "Erreur : l'utilisation du disque pour {} est de {} %.Veuillez en "
        "rechercher la cause.",
        "pickles": (
            "Des fichiers manquants ont été trouvés sur cette machine.",
            "Aucun fichier pickle manquant n'a été trouvé sur cette machine.",
            (
                "Des fichiers manquants sont normaux pour de nouveaux clients et sources. "
                "Sinon, ils ont pu être effacés par un nettoyeur gardant moins de 7 jours de "
                "pickles, à la main, ou ne pas être produits parce que le crontab a été "
                "arrêté."
            ),
        ),
        "pickles_name": "Il manquait les fichiers et dossiers suivants à {} : ",
        "gaps": (
            "Les trous de données suivants n'ont pas été trouvés dans le journal d'erreurs :",
            "Tous les trous de données ont été trouvés dans le journal d'erreurs.",
            (
                "Ces clients n'ont rien envoyé pendant plus que leur écart maximal (PX_TIMERS "
                "de maxSettings.conf, plus 5 minutes) et le journal d'erreurs de Columbo ne "
                "l'explique pas : vérifiez le client, et que ses journaux ont été collectés."
            ),
        ),
        "gap_line": "Aucune donnée n'a été trouvée entre {} et {}.",
        "statslogs": (
            "Les avertissements suivants sur les journaux de pxStats ont été trouvés : ",
            "Aucun avertissement sur les journaux de pxStats n'a été trouvé.",
            (
                "Les journaux sont peut-être trop petits pour contenir toute la période, le "
                "crontab a peut-être été arrêté, ou les programmes ont échoué : lisez leurs "
                "journaux."
            ),
        ),
        "statslogs_none": "Avertissement : aucune entrée des journaux {} n'a été trouvée "
        "entre {} et {}. Veuillez vérifier.",
        "statslogs_hours": "Avertissement : aucune entrée des journaux {} n'a été trouvée "
        "pour ces heures : {}. Veuillez vérifier.",
        "checksums": (
            (
                "Les avertissements suivants ont été trouvés en surveillant les sommes de "
                "contrôle : "
            ),
            "Aucun avertissement n'a été trouvé en surveillant les sommes de contrôle.",
            (
                "Les changements ne sont pas des erreurs en soi : ils montrent que des "
                "fichiers ont été modifiés ou qu'une autre version a été installée depuis "
                "la dernière surveillance."
            ),
        ),
        "not_found": "{} est introuvable.",
        "added": "{} a été ajouté.",
        "changed": "La somme de contrôle de {} a changé depuis la dernière surveillance.",
        "crontab": (
            "Les entrées du crontab ont été modifiées depuis la dernière surveillance.",
            ("Les entrées du crontab n'ont pas été modifiées depuis la dernière surveillance."),
            (
                "Assurez-vous que la modification était voulue et que pxStatsStartup est "
                "toujours lancé chaque heure."
            ),
        ),
        "crontab_no_startup": "Avertissement : aucune ligne active du crontab ne lance "
        "pxStatsStartup.",
        "crontab_unreadable": "Avertissement : le crontab n'a pas pu être lu ({}).",
        "webpages": (
            "Les avertissements suivants sur les pages web ont été trouvés :",
            "Toutes les pages web sont à jour.",
            (
                "Les pages web devraient être mises à jour chaque heure : vérifiez que "
                "pxStatsStartup est lancé (crontab)."
            ),
        ),
        "page_old": "{} n'a pas été mis à jour depuis {}.",
        "graphics": (
            "Les avertissements suivants sur les graphiques quotidiens ont été trouvés :",
            "Tous les graphiques quotidiens sont à jour.",
            (
                "Les graphiques quotidiens devraient être mis à jour chaque heure : vérifiez "
                "que pxStatsStartup est lancé (crontab)."
            ),
        ),
        "image_missing": "{} est introuvable.",
        "image_old": "L'image quotidienne de {} n'a pas été mise à jour depuis {}",
        "databases": (
            (
                "Les bases de données suivantes n'ont pas été mises à jour depuis plus de "
                "{hours} heures :"
            ),
            ("Toutes les bases de données ont été mises à jour dans les {hours} dernières heures."),
            (
                "transferPickleToRRD s'est peut-être arrêté, ou le client n'envoie plus de "
                "données ; les bases des clients retirés peuvent être effacées."
            ),
        ),
        "db_old": "{} a été mise à jour pour la dernière fois à {}.",
        "db_never": "{} n'a jamais été mise à jour.",
        "updates": (
            "Les temps de mise à jour suivants ont plus de {hours} heures de retard :",
            "Aucun temps de mise à jour n'a plus de {hours} heures de retard.",
            (
                "pickleUpdater n'a pas collecté les dernières heures de ces clients et "
                "sources : vérifiez la copie des journaux et le journal de pickleUpdater."
            ),
        ),
        "update_old": "{} a été collecté jusqu'à {}.",
        "update_bad": "{} n'a pas pu être lu.",
        "latency": (
            ("Les clients suivants ont eu trop de fichiers au-delà de leur latence maximale :"),
            "Aucun client n'a eu trop de fichiers au-delà de sa latence maximale.",
            "Les maximums par heure viennent de PX_GRAPHS de maxSettings.conf.",
        ),
        "latency_line": "{} : {} fichiers au-delà de la latence maximale entre {} et {} "
        "(maximum {}).",
        "reach": (
            "Les machines suivantes n'ont pas pu être jointes par ssh :",
            "Toutes les machines ont été jointes par ssh.",
            (
                "Vérifiez le réseau, la machine et les clés ssh de l'usager de pxStats (ssh "
                "fonctionne en mode non interactif)."
            ),
        ),
        "reach_line": "{} : {}",
        "downloads": (
            "Les fichiers de Columbo n'ont pas pu être téléchargés :",
            "Les fichiers de Columbo ont été téléchargés de {machine}.",
            ("Les copies précédentes de maxSettings.conf et PX_Errors.txt ont été utilisées."),
        ),
        "download_line": "{} : {}",
        "lastrun": (
            "La dernière exécution de pxStatsStartup a eu des problèmes :",
            "La dernière exécution de pxStatsStartup n'a eu aucun problème.",
            (
                "Chaque étape d'une exécution est une ligne de data/logs/pxStatsStartup.log "
                "et de data/monitoring/lastRun.json ; une étape en échec est reprise par "
                "l'exécution suivante. Une exécution dont le processus a disparu a été tuée "
                "ou s'est plantée (ou sa machine s'est arrêtée) : l'exécution suivante fait ce "
                "qu'elle a laissé. pxStatsStartup doit être lancé par le crontab à chaque "
                "pxStatsFrequency."
            ),
        ),
        "lastrun_line": "Dernière exécution : {} (commencée à {}), état {}, {} étape(s).",
        "lastrun_step": "Avertissement : l'étape {} a échoué : {}",
        "lastrun_running": "L'exécution est toujours en cours (PID {}).",
        "lastrun_crashed": "Avertissement : l'exécution ne s'est pas terminée : son processus "
        "(PID {}) a disparu (tué ou planté).",
        "lastrun_interrupted": "Avertissement : l'exécution a été interrompue (SIGTERM ou "
        "SIGINT) ; {} étape(s) n'ont pas été faites.",
        "lastrun_old": "Erreur : pxStatsStartup n'a pas été lancé depuis {} (il devrait l'être "
        "à chaque {}).",
        "lastrun_bad": "Avertissement : {} n'a pas pu être lu ({}).",
    },
}


def words(language: str) -> dict:
    return TEXT.get(language, TEXT["en"])
